"""Load a demo company: ``python manage.py seed_demo``.

苏州澜拓智能装备股份有限公司 makes PLCs, servo drives and MES software in Suzhou and
retrofits production lines for automakers, battery makers, shipyards, hospitals and
grid companies. The command creates its eight departments, 27 people in a reporting
chain, 40 deals and about 200 asks in every state, each with a timeline that fits it.

Idempotent: everything is keyed by natural keys (usernames, team names, (customer, title)
for deals, (deal, title) for asks) and an ask that already exists is left alone,
timeline included. The whole plan is drawn from a fixed random seed before anything is
written, so a second run produces exactly the same rows.

Demo logins (``rep``, ``presales``, ``finance``, ``legal``, ``production``, ``manager``
and an ``admin`` superuser) get ``settings.DEMO_PASSWORD`` only when DEBUG is on; with
DEBUG off every seeded person gets an unusable password.
"""

from __future__ import annotations

import datetime as dt
import random
import string
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from typing import NamedTuple
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from deals.models import (
    ASK_TYPE_FUNCTION,
    CLOSED_STATUSES,
    DEADLINE_STATUSES,
    Ask,
    AskEvent,
    AskStatus,
    AskType,
    Audience,
    Deal,
    EventKind,
    Milestone,
    Stage,
)
from stakeholders.models import Function, Profile, Role, Stakeholder, Team

S = AskStatus
K = EventKind
T = AskType
A = Audience

SEED = 20261122
SHANGHAI = ZoneInfo("Asia/Shanghai")
COMPANY = "苏州澜拓智能装备股份有限公司"
EMAIL_DOMAIN = "lantuo.example"
DEMO_LOGINS = ("rep", "presales", "finance", "legal", "production", "manager")
ADMIN_USERNAME = "admin"
ADMIN_EMAIL = f"admin@{EMAIL_DOMAIN}"  # how a later run recognises the admin it made

# --- the company ----------------------------------------------------------------------

# (name, function, lead's username, response hours, turnaround hours)
TEAMS = [
    ("华东大客户部", Function.SALES, "manager", 4, 16),
    ("华南区域销售部", Function.SALES, "huang.zhiqiang", 4, 16),
    ("销售管理部", Function.MANAGEMENT, "zhou.haifeng", 4, 8),
    ("售前技术部", Function.PRESALES, "cao.ming", 4, 24),
    ("财务部", Function.FINANCE, "xu.lixin", 4, 16),
    ("法务部", Function.LEGAL, "qian.wenbin", 8, 24),
    ("生产计划部", Function.PRODUCTION, "feng.guodong", 8, 24),
    ("采购部", Function.PROCUREMENT, "shen.weidong", 8, 32),
]


class Person(NamedTuple):
    username: str
    email: str  # the part before @
    name: str
    job_title: str
    team: str
    manager: str | None
    load: int  # how often asks to their team land on them (0: never)


# Top-down, so everyone's manager comes before them.
# fmt: off
PEOPLE = [
    Person("chen.zhiyuan", "chen.zhiyuan", "陈志远", "常务副总经理", "销售管理部", None, 0),
    Person("zhou.haifeng", "zhou.haifeng", "周海峰", "销售副总裁", "销售管理部", "chen.zhiyuan", 2),
    Person("lin.jing", "lin.jing", "林静", "销售运营经理", "销售管理部", "zhou.haifeng", 3),
    Person("manager", "li.jianhua", "李建华", "华东大客户部总监", "华东大客户部",
           "zhou.haifeng", 0),
    Person("rep", "wang.lei", "王磊", "高级客户经理", "华东大客户部", "manager", 0),
    Person("zhang.ting", "zhang.ting", "张婷", "大客户经理", "华东大客户部", "manager", 0),
    Person("liu.yang", "liu.yang", "刘洋", "客户经理", "华东大客户部", "manager", 0),
    Person("zhao.min", "zhao.min", "赵敏", "客户经理", "华东大客户部", "manager", 0),
    Person("huang.zhiqiang", "huang.zhiqiang", "黄志强", "华南区域销售总监", "华南区域销售部",
           "zhou.haifeng", 0),
    Person("wu.jun", "wu.jun", "吴俊", "高级客户经理", "华南区域销售部", "huang.zhiqiang", 0),
    Person("zheng.xiaoyan", "zheng.xiaoyan", "郑晓燕", "客户经理", "华南区域销售部",
           "huang.zhiqiang", 0),
    Person("sun.hao", "sun.hao", "孙浩", "销售工程师", "华南区域销售部", "huang.zhiqiang", 0),
    Person("cao.ming", "cao.ming", "曹明", "售前技术部总监", "售前技术部", "zhou.haifeng", 1),
    Person("presales", "yang.fan", "杨帆", "高级售前工程师", "售前技术部", "cao.ming", 2),
    Person("deng.kai", "deng.kai", "邓凯", "解决方案架构师", "售前技术部", "cao.ming", 3),
    Person("xu.nuo", "xu.nuo", "许诺", "售前工程师（MES）", "售前技术部", "cao.ming", 3),
    Person("xu.lixin", "xu.lixin", "徐立新", "财务总监", "财务部", "chen.zhiyuan", 1),
    Person("finance", "he.xuemei", "何雪梅", "销售财务 BP 主管", "财务部", "xu.lixin", 4),
    Person("ma.li", "ma.li", "马丽", "成本会计", "财务部", "xu.lixin", 2),
    Person("qian.wenbin", "qian.wenbin", "钱文斌", "法务总监", "法务部", "chen.zhiyuan", 1),
    Person("legal", "song.jia", "宋佳", "法务经理", "法务部", "qian.wenbin", 4),
    Person("gao.yuan", "gao.yuan", "高远", "法务专员", "法务部", "qian.wenbin", 2),
    Person("feng.guodong", "feng.guodong", "冯国栋", "生产计划部经理", "生产计划部",
           "chen.zhiyuan", 1),
    Person("production", "han.bing", "韩冰", "生产计划主管", "生产计划部", "feng.guodong", 4),
    Person("jiang.tao", "jiang.tao", "蒋涛", "交付项目经理", "生产计划部", "feng.guodong", 2),
    Person("shen.weidong", "shen.weidong", "沈卫东", "采购部经理", "采购部", "chen.zhiyuan", 1),
    Person("tang.xiaofang", "tang.xiaofang", "唐小芳", "采购工程师", "采购部", "shen.weidong", 3),
]
# fmt: on

# --- the deals ------------------------------------------------------------------------


class DealRow(NamedTuple):
    owner: str
    customer: str
    short: str  # how people say the customer's name in an ask title
    title: str
    amount: str
    stage: str
    close_in_days: int  # expected close date relative to today (the real one when closed)
    flags: str  # R reference customer, F follow-on phases, D demonstration value
    why: str


# fmt: off
DEALS = [
    DealRow("rep", "上海临港远航汽车制造有限公司", "远航汽车",
            "焊装车间二期产线 MES 升级", "12800000", Stage.VALUE, 45, "RFD",
            "远航是长三角产量第二的新能源整车厂，一期 MES 由我们交付；"
            "二期拿下就是汽车行业标杆案例，三期总装车间明年招标。"),
    DealRow("rep", "无锡锡能新能源电池科技有限公司", "锡能电池",
            "电芯叠片线 200 台伺服驱动器年度框架", "3600000", Stage.EXPECTATIONS, 30, "F",
            "锡能今年新建 4 条叠片线，这是首个年度框架；首批验证通过后全年伺服需求预计超过 800 台"
            "。"),
    DealRow("rep", "苏州恒力精密机械有限公司", "恒力精机",
            "数控加工中心 PLC 国产化替换试点", "860000", Stage.OPPORTUNITY, 60, "F",
            "客户被进口 PLC 交期拖了两个季度，决定试点国产化；试点机稳定后，"
            "存量 60 台加工中心都会替换。"),
    DealRow("rep", "华东船舶重工集团有限公司", "华东船舶",
            "分段涂装车间自动化改造", "28500000", Stage.VALUE, 90, "RD",
            "央企集团内首个涂装车间自动化项目，下属 6 家船厂都在看结果，集团装备部领导亲自挂帅。"),
    DealRow("rep", "苏州工业园区仁和医院", "仁和医院",
            "后勤楼宇自控系统改造", "1450000", Stage.EXPECTATIONS, 40, "R",
            "园区卫健委把仁和作为智慧后勤试点，做成后可以带另外三家区属医院来参观。"),
    DealRow("rep", "扬州广陵食品饮料有限公司", "广陵食品",
            "3 号灌装线伺服与视觉检测升级", "2100000", Stage.SUCCESS, 12, "F",
            "1、2 号线去年由我们改造，灌装精度明显提升；3 号线做完后客户计划明年把 4、"
            "5 号线一起改。"),
    DealRow("rep", "常州星瀚光伏科技有限公司", "星瀚光伏",
            "串焊机 PLC 及 HMI 年度备件", "480000", Stage.WON, -20, "F",
            "备件单金额不大，但保住了星瀚的年度供应商资格，新基地 18 条串焊线明年招标。"),
    DealRow("rep", "南京江北水务集团有限公司", "江北水务",
            "泵站 SCADA 远程监控平台", "5200000", Stage.LOST, -35, "D",
            "市属国企的水务平台，因价格输给本地集成商；二期管网监测项目仍有机会。"),
    DealRow("zhang.ting", "合肥长河新能源汽车有限公司", "长河汽车",
            "总装车间 AGV 调度与 MES 接口", "6800000", Stage.VALUE, 50, "RF",
            "安徽省重点项目，新工厂明年投产；这一单决定我们能否进入长河的一级设备供应商名录。"),
    DealRow("zhang.ting", "宁波甬能注塑机械股份有限公司", "甬能注塑",
            "注塑机专用伺服驱动器 OEM 合作", "9600000", Stage.EXPECTATIONS, 75, "F",
            "甬能年产注塑机约 3000 台，OEM 合作一旦定型，每年稳定出货伺服约 6000 轴。"),
    DealRow("zhang.ting", "上海浦江制药股份有限公司", "浦江制药",
            "固体制剂车间 GMP 数据采集与电子批记录", "3250000", Stage.OPPORTUNITY, 100, "RD",
            "医药是我们的新赛道，浦江是上市药企，GMP 合规案例对进入医药行业至关重要。"),
    DealRow("zhang.ting", "昆山宏芯电子科技有限公司", "宏芯电子",
            "SMT 车间设备联网与 OEE 看板", "780000", Stage.LEAD, 120, "F",
            "客户刚被集团要求按月上报 OEE，设备联网是第一步，后续有 MES 机会。"),
    DealRow("zhang.ting", "嘉兴锦程纺织印染有限公司", "锦程印染",
            "定型机变频与能耗监测改造", "1180000", Stage.WON, -12, "D",
            "当地印染园区能耗考核趋严，锦程是园区龙头，园区另有 20 多家印染厂有同类需求。"),
    DealRow("zhang.ting", "徐州恒岳工程机械股份有限公司", "恒岳机械",
            "结构件焊接工作站 PLC 与伺服配套", "4300000", Stage.LEAD, 150, "F",
            "恒岳今年焊接工作站扩产 40 套，配套 PLC 和伺服进入其标准配置就是长期订单。"),
    DealRow("liu.yang", "苏电智慧能源服务（南京）有限公司", "苏电能源",
            "变电站辅助设备监控系统（首批 12 座）", "7600000", Stage.VALUE, 35, "DF",
            "省电网下属能源服务公司，首批 12 座变电站成功后向全省推广，约 300 座。"),
    DealRow("liu.yang", "南通海鸿海工装备有限公司", "海鸿海工",
            "管线预制车间自动化焊接产线", "15800000", Stage.EXPECTATIONS, 80, "R",
            "海工装备焊接自动化是国家鼓励方向，做成后可以申报省级智能制造示范车间。"),
    DealRow("liu.yang", "江苏金陵钢铁集团有限公司", "金陵钢铁",
            "热轧产线 PLC 控制系统国产化改造", "22000000", Stage.OPPORTUNITY, 140, "DF",
            "省属钢铁集团，控制系统国产化是集团今年重点任务；拿下热轧线后冷轧、炼钢都会跟进。"),
    DealRow("liu.yang", "杭州钱塘智慧物流有限公司", "钱塘物流",
            "立体仓库堆垛机伺服改造", "1680000", Stage.SUCCESS, 8, "R",
            "改造完成后作为物流行业样板现场，客户已同意接待其他客户参观。"),
    DealRow("liu.yang", "绍兴越州轴承有限公司", "越州轴承",
            "磨加工线视觉检测站 6 套", "920000", Stage.LOST, -50, "",
            "输在误判率指标上，客户要求 0.1% 以下；下一代检测算法出来后可以再争取。"),
    DealRow("zhao.min", "芜湖江城汽车零部件有限公司", "江城零部件",
            "压铸岛自动化单元 4 套", "3900000", Stage.VALUE, 28, "F",
            "江城是多家主机厂的一级供应商，压铸岛做好了可以借它打开整车厂供应链。"),
    DealRow("zhao.min", "南京鼎和医院管理集团有限公司", "鼎和医院",
            "中心药房自动化发药系统", "2600000", Stage.EXPECTATIONS, 55, "RF",
            "鼎和旗下 7 家医院，中心药房自动化在首家医院落地后由集团统一推广。"),
    DealRow("zhao.min", "苏州吴中精工模具有限公司", "吴中模具",
            "模具车间 MES 一期", "1350000", Stage.OPPORTUNITY, 70, "DF",
            "模具行业 MES 标杆很少，吴中是当地模具协会会长单位，影响力大。"),
    DealRow("zhao.min", "连云港港城化工股份有限公司", "港城化工",
            "装置区 PLC 安全联锁改造", "5600000", Stage.LEAD, 130, "D",
            "化工园区安全整治要求年内完成联锁改造，时间紧，谁先拿出合规方案谁中标。"),
    DealRow("wu.jun", "深圳鹏城锂电科技股份有限公司", "鹏城锂电",
            "模组 PACK 线 MES 与追溯系统", "8900000", Stage.VALUE, 40, "RF",
            "鹏城是动力电池头部企业的核心供应商，追溯系统达标是它进入海外车企供应链的前提。"),
    DealRow("wu.jun", "广州南沙粤港汽车零部件有限公司", "粤港零部件",
            "冲压线伺服压力机控制升级", "4700000", Stage.EXPECTATIONS, 60, "F",
            "客户 6 条冲压线都是老旧压力机，升级一条线后其余 5 条会逐步跟进。"),
    DealRow("wu.jun", "广西柳江汽车集团有限公司", "柳江汽车",
            "涂装车间能源管理与设备联网", "18600000", Stage.OPPORTUNITY, 110, "DF",
            "自治区国资委下属整车集团，能源管理是集团双碳考核的重点，示范效应强。"),
    DealRow("wu.jun", "深圳前海港务集团有限公司", "前海港务",
            "自动化码头轨道吊 PLC 与远程操控", "46000000", Stage.EXPECTATIONS, 160, "RD",
            "华南首个全自动化集装箱码头改造，国资委重点项目，业内关注度极高。"),
    DealRow("wu.jun", "惠州大亚湾石化装备有限公司", "大亚湾石化",
            "撬装设备 PLC 控制柜年度采购", "2300000", Stage.WON, -8, "F",
            "年度框架锁定了全年控制柜订单，客户在建的二期装置还会追加。"),
    DealRow("wu.jun", "湛江南海重型机械有限公司", "南海重机",
            "门式起重机变频器改造", "1100000", Stage.LOST, -60, "",
            "输在价格，对手报价低 18%；客户对我们的技术方案评价最高。"),
    DealRow("zheng.xiaoyan", "东莞松湖智能家电有限公司", "松湖家电",
            "空调总装线 150 台伺服驱动器", "1950000", Stage.SUCCESS, 5, "F",
            "空调总装线首次采用国产伺服，验收顺利的话集团其他基地会复制。"),
    DealRow("zheng.xiaoyan", "佛山顺德美厨电器制造有限公司", "美厨电器",
            "钣金车间折弯单元 PLC 与 HMI", "680000", Stage.EXPECTATIONS, 25, "D",
            "小单，但美厨是顺德家电圈的风向标，做好能带来一批同类客户。"),
    DealRow("zheng.xiaoyan", "珠海横琴海川医疗器械有限公司", "海川医疗",
            "无菌包装线 MES 与电子批记录", "3400000", Stage.VALUE, 45, "R",
            "电子批记录要经得起药监检查，做成后是医疗器械行业的首个案例。"),
    DealRow("zheng.xiaoyan", "广东粤南电网能源服务有限公司", "粤南能源",
            "配电房智能巡检与环境监测（试点 30 座）", "2750000", Stage.OPPORTUNITY, 90, "DF",
            "电网体系内试点 30 座配电房，成功后全省推广数千座。"),
    DealRow("zheng.xiaoyan", "厦门鹭岛光电科技有限公司", "鹭岛光电",
            "LED 封装车间设备联网", "1260000", Stage.LEAD, 140, "",
            "封装车间设备品牌杂、联网难度大，做好可以沉淀成行业解决方案。"),
    DealRow("zheng.xiaoyan", "中山市岐江五金制品有限公司", "岐江五金",
            "冲压线小型 PLC 替换 40 台", "320000", Stage.WON, -30, "",
            "40 台老 PLC 全部换成我们的，客户是当地五金协会成员，口碑传播快。"),
    DealRow("sun.hao", "汕头潮韵玩具实业有限公司", "潮韵玩具",
            "注塑车间机械手伺服配套", "560000", Stage.OPPORTUNITY, 45, "",
            "玩具注塑机械手量大价低，适合推标准伺服套装。"),
    DealRow("sun.hao", "江门侨乡食品集团有限公司", "侨乡食品",
            "调味品灌装线 PLC 升级", "880000", Stage.EXPECTATIONS, 35, "",
            "侨乡是省级农业龙头企业，灌装线升级有政府技改补贴，客户决策快。"),
    DealRow("sun.hao", "肇庆鼎湖生物科技有限公司", "鼎湖生物",
            "发酵罐温控系统 PLC 备件", "80000", Stage.SUCCESS, 3, "F",
            "老客户的零星备件，维持关系；明年发酵车间扩建。"),
    DealRow("sun.hao", "韶关丹霞特钢有限公司", "丹霞特钢",
            "轧机主传动变频器维保与备件包", "1500000", Stage.LEAD, 120, "F",
            "主传动维保是长期服务收入，做好后有机会参与明年的轧线改造。"),
    DealRow("sun.hao", "深圳光明智造电子有限公司", "光明智造",
            "FPC 贴合线运动控制方案", "2450000", Stage.LOST, -15, "",
            "对手提供了免费样机，客户试用后转向对手；我们的运动控制精度并不落下风。"),
]
# fmt: on

# How many asks a deal carries at each stage (inclusive range).
ASKS_PER_STAGE = {
    Stage.LEAD: (3, 5),
    Stage.OPPORTUNITY: (4, 6),
    Stage.EXPECTATIONS: (5, 7),
    Stage.VALUE: (6, 8),
    Stage.SUCCESS: (4, 6),
    Stage.WON: (3, 5),
    Stage.LOST: (2, 4),
}

# Which states the asks on a deal end up in, by the deal's state.
OPEN_DEAL_STATUSES = {
    S.PROPOSED: 12, S.COUNTERED: 7, S.AGREED: 9, S.IN_PROGRESS: 13, S.WAITING: 7,
    S.DELIVERED: 9, S.DONE: 22, S.DECLINED: 4, S.CANCELLED: 3, S.REOPENED: 4,
}  # fmt: skip
WON_DEAL_STATUSES = {S.DONE: 7, S.IN_PROGRESS: 2, S.DELIVERED: 1}
LOST_DEAL_STATUSES = {S.DONE: 4, S.CANCELLED: 3, S.DECLINED: 2}
OVERDUE_SHARE = 0.35  # of asks agreed or in progress

# The rep's open deals carry these first, so the demo login sees every kind of work:
# (status, overdue).
REP_MUST_HAVE = [
    (S.COUNTERED, False), (S.DELIVERED, False), (S.IN_PROGRESS, True), (S.WAITING, False),
    (S.AGREED, True), (S.DELIVERED, False), (S.REOPENED, False), (S.COUNTERED, False),
    (S.PROPOSED, False), (S.IN_PROGRESS, True),
]  # fmt: skip
# The first presales asks on other reps' open deals go to the presales login, so its
# queue has work of its own to do, some of it late.
PRESALES_MUST_HAVE = [
    (S.IN_PROGRESS, True), (S.PROPOSED, False), (S.AGREED, True), (S.IN_PROGRESS, False),
]  # fmt: skip

TYPE_WEIGHTS = {
    T.SOLUTION: 14, T.BID_DOCUMENT: 7, T.QUOTE: 12, T.DEMO: 7, T.MARGIN_REVIEW: 11,
    T.CONTRACT_REVIEW: 10, T.PRODUCTION_SLOT: 10, T.APPROVAL: 8, T.SOURCING: 6, T.OTHER: 8,
}  # fmt: skip

# Which people sit on a deal's team besides the owner's manager.
STAKEHOLDER_ROLES = {
    Role.PRESALES: 5,
    Role.FINANCE: 3,
    Role.PRODUCTION: 3,
    Role.LEGAL: 2,
    Role.PROCUREMENT: 1,
}

# --- the asks: briefs -----------------------------------------------------------------

# Placeholders filled per ask: {short} customer, {plc} installed base, {takt} seconds,
# {qty} units, {pct} percent, {margin} percent, {day} weekday, {weeks}, {pay} terms.
FILLS = {
    "plc": [
        "西门子 S7-1500",
        "三菱 Q 系列",
        "欧姆龙 NJ501",
        "罗克韦尔 ControlLogix",
        "倍福 CX5130",
    ],
    "takt": [38, 45, 52, 60, 75],
    "qty": [12, 24, 36, 60, 120, 200],
    "pct": [3, 5, 8, 12],
    "margin": [17, 19, 21, 23],
    "day": ["周二", "周三", "周四", "周五"],
    "weeks": [4, 6, 8, 10],
    "pay": ["3-6-1", "3-3-3-1", "预付 30%、到货 60%、质保金 10%", "验收后月结 90 天"],
}

# fmt: off
TEMPLATES = {
    T.SOLUTION: [
        dict(title="{short}技术方案 v1",
             deliverable="技术方案 v1（含系统架构图、设备清单和实施计划）",
             details=("产线节拍 {takt} 秒/件，需兼容现有 {plc} PLC；"
                      "客户要求与 SAP 做工单下发和报工对接。"),
             purpose="客户{day}召开技术评审会，决定是否进入短名单。",
             audience=A.CUSTOMER_WORKING,
             basis="客户设备部张工电话原话：“{day}评审，方案里没有架构图的直接不看。”"),
        dict(title="{short}网络与信息安全架构说明",
             deliverable="网络拓扑图与等保 2.0 三级合规说明（PDF，10 页以内）",
             details=("客户 IT 要求生产网与办公网物理隔离，数据经网闸单向上送；"
                      "需说明服务器部署位置和账号权限设计。"),
             purpose="客户信息中心有一票否决权，这份说明通过后才进入商务谈判。",
             audience=A.CUSTOMER_WORKING,
             basis="客户信息中心主任在上次技术交流会上明确提出。"),
        dict(title="{short}投资回报测算",
             deliverable="ROI 测算表（Excel）和一页结论摘要",
             details=("按现有 {qty} 台设备、三班倒、OEE 从 62% 提升到 75% 测算；"
                      "人工成本按每人每年 9.6 万元。"),
             purpose="客户总经理要在董事会上说明投资回收期，数字要经得起财务追问。",
             audience=A.CUSTOMER_EXECUTIVE,
             basis="客户生产副总微信转述总经理的要求：回收期超过 3 年就不批。"),
        dict(title="{short}高层汇报材料",
             deliverable="15 页以内的高层汇报 PPT，附一页同行业案例",
             details=("重点讲停线风险控制和分阶段上线计划，"
                      "引用远航汽车一期的上线数据（停线不超过 36 小时）。"),
             purpose="客户董事长下月初听汇报后拍板，是本单的最高决策节点。",
             audience=A.CUSTOMER_EXECUTIVE,
             basis="客户项目经理转达的会议通知。"),
    ],
    T.BID_DOCUMENT: [
        dict(title="{short}投标文件技术标",
             deliverable="投标文件技术部分（按招标文件第五章格式，含技术偏离表）",
             details=("技术参数共 43 项，其中 6 项为星号条款，不允许负偏离；"
                      "需附 3 个同类业绩合同扫描件。"),
             purpose="技术标占 60 分，直接决定能否中标。",
             audience=A.CUSTOMER_EXECUTIVE,
             basis="招标公告已在客户电子采购平台公示。"),
        dict(title="{short}资格预审文件",
             deliverable="资格预审申请文件（资质证书、近三年业绩、审计报告、ISO 证书）",
             details="要求近三年同类业绩不少于 3 项且单项金额 500 万元以上；全部加盖公章后扫描。",
             purpose="资格预审不通过就没有投标资格。",
             audience=A.CUSTOMER_WORKING,
             basis="招标代理公司发布的资格预审公告。"),
        dict(title="{short}技术澄清答复",
             deliverable="12 条技术澄清问题的书面答复（盖章版）",
             details=("客户就伺服响应时间、PLC 扫描周期和 MES 并发用户数提出澄清，"
                      "须在 48 小时内书面回复。"),
             purpose="澄清答复计入技术评分，答得含糊会被扣分。",
             audience=A.CUSTOMER_WORKING,
             basis="招标代理邮件通知的澄清截止时间。"),
    ],
    T.QUOTE: [
        dict(title="{short}分项技术报价",
             deliverable="分项报价单（硬件、软件许可、实施服务、培训分列）",
             details="按 {qty} 个工位配置，含三年软件升级服务；客户要求单列备品备件价格。",
             purpose="客户采购部拿分项价和另外两家比价，单价比总价更受关注。",
             audience=A.CUSTOMER_WORKING,
             basis="客户采购经理邮件原文：“请按附件格式分项报价，{day}前回复。”"),
        dict(title="{short}国产化备选配置报价",
             deliverable="标准版与国产化版两套配置的对比报价",
             details="国产化版 PLC、伺服、工控机全部采用自有品牌，替换 {plc}；说明性能差异和交期。",
             purpose="客户预算只有原方案的八成，需要一个降本方案保住项目。",
             audience=A.CUSTOMER_WORKING,
             basis="客户设备部长当面说：“预算就这么多，你们想办法。”"),
        dict(title="{short}伺服选型与报价",
             deliverable="伺服电机与驱动器选型表及报价（含电缆、制动电阻）",
             details="共 {qty} 轴，负载惯量比不超过 10，需要绝对值编码器和 EtherCAT 总线。",
             purpose="客户工艺部先确认选型，才会启动采购流程。",
             audience=A.CUSTOMER_WORKING,
             basis="客户工艺工程师提供的负载参数表。"),
    ],
    T.DEMO: [
        dict(title="{short}MES 现场演示",
             deliverable="1.5 小时现场演示：工单下发、报工、质量追溯三个场景",
             details="用客户提供的 3 个真实产品 BOM 做演示数据；客户方 8 人参会，含 IT 和生产。",
             purpose="客户在两家供应商之间二选一，演示后一周内定标。",
             audience=A.CUSTOMER_WORKING,
             basis="客户项目组发来的演示邀请函。"),
        dict(title="{short}样机联调测试",
             deliverable="伺服样机在客户试验台联调 2 天，并出具测试报告",
             details="验证与客户 {plc} 控制器的 EtherCAT 通讯，定位精度要求 ±0.01 mm。",
             purpose="样机测试通过才能进入客户的合格供应商名录。",
             audience=A.CUSTOMER_WORKING,
             basis="客户研发部测试规范 V2.3。"),
        dict(title="{short}高层参观展厅与样板线",
             deliverable="半天参观接待：苏州展厅讲解、样板线视频连线、午餐交流",
             details="客户来访 5 人，含分管副总；需安排车辆接送和一名资深讲解。",
             purpose="客户高层第一次来访，决定对我们品牌和交付能力的第一印象。",
             audience=A.CUSTOMER_EXECUTIVE,
             basis="客户总经办确认的来访行程。"),
    ],
    T.MARGIN_REVIEW: [
        dict(title="{short}报价毛利审核",
             deliverable="毛利测算审核意见：能否按当前价格报出",
             details="当前报价毛利率约 {margin}%，低于事业部底线 25%；外购视觉相机占成本 30%。",
             purpose="客户要求本周给最终报价，过了这个节点就进入对手的谈判窗口。",
             audience=A.INTERNAL,
             basis="客户采购经理电话：“你们再降 {pct} 个点才有机会。”"),
        dict(title="{short}付款条件资金成本测算",
             deliverable="不同付款条件下的资金成本测算和建议",
             details="客户坚持 {pay} 付款、质保金扣留 24 个月；测算对回款周期和资金占用的影响。",
             purpose="付款条件是合同谈判最后一个卡点。",
             audience=A.INTERNAL,
             basis="客户财务部出具的标准付款条款。"),
        dict(title="{short}年度框架阶梯价审核",
             deliverable="年度框架阶梯价格表的审核意见",
             details="按年用量 {qty} 套设三档阶梯价，最低档比目录价下浮 {pct}%，含运费和现场调试。",
             purpose="框架价格一定三年，定低了以后很难涨回来。",
             audience=A.INTERNAL,
             basis="客户年度招采计划（采购部提供）。"),
    ],
    T.CONTRACT_REVIEW: [
        dict(title="{short}合同条款审核",
             deliverable="合同审核意见及修改建议（Word 修订版）",
             details="重点看第 9 条违约金（每延迟一天 0.5%，无上限）和第 14 条知识产权归属。",
             purpose="客户要求下周签约，条款不改我们要承担无限责任。",
             audience=A.INTERNAL,
             basis="客户原话：“我们的合同模板 20 年没改过一个字。”"),
        dict(title="{short}质保金改保函",
             deliverable="质保金条款的替代方案（银行保函）及审核意见",
             details="客户要求扣留 10% 质保金 24 个月，我们希望改为等额银行保函。",
             purpose="质保金两年占用资金上百万元，影响项目现金流。",
             audience=A.CUSTOMER_WORKING,
             basis="客户商务部邮件。"),
        dict(title="{short}保密协议审核",
             deliverable="双方保密协议（NDA）审核意见",
             details="客户要求我方提供 MES 源代码托管，且保密期限为无限期。",
             purpose="签了 NDA 客户才会给详细工艺资料，方案才能往下做。",
             audience=A.INTERNAL,
             basis="客户技术部提供的 NDA 模板。"),
    ],
    T.PRODUCTION_SLOT: [
        dict(title="{short}交期确认",
             deliverable="书面交期承诺（分批到货计划）",
             details=("{qty} 台伺服驱动器，客户希望 {weeks} 周内到货、分两批；"
                      "需确认 IGBT 模块库存。"),
             purpose="交期是客户评标的硬指标，承诺不了会被直接淘汰。",
             audience=A.CUSTOMER_WORKING,
             basis="招标文件第 3.2 条交货期要求。"),
        dict(title="{short}控制柜加急排产",
             deliverable="加急排产方案及对其他订单的影响说明",
             details="客户产线停机改造窗口只有春节前 10 天，控制柜必须在窗口前一周到现场。",
             purpose="错过停机窗口，项目要推迟半年。",
             audience=A.INTERNAL,
             basis="客户生产部发来的停机计划表。"),
        dict(title="{short}非标防爆控制柜生产评审",
             deliverable="非标控制柜可制造性评审结论及生产周期",
             details="防爆等级 Ex d IIB T4，柜体不锈钢 316L，共 8 面柜。",
             purpose="能不能做、多久能做，决定报价和交期承诺。",
             audience=A.INTERNAL,
             basis="客户技术规格书第 7 章。"),
    ],
    T.APPROVAL: [
        dict(title="{short}特价审批",
             deliverable="特价审批结论（同意或不同意，以及条件）",
             details=("申请在标准价基础上下浮 {pct}%，整单毛利降至 {margin}%；"
                      "首单进入该行业，后续有二期。"),
             purpose="特价批下来才能在截止日前给客户最终报价。",
             audience=A.INTERNAL,
             basis="客户采购透露竞争对手报价比我们低约 {pct}%。"),
        dict(title="{short}售前驻场资源审批",
             deliverable="审批：安排 2 名售前工程师驻场 2 周",
             details="驻场做现场调研和方案细化，差旅费约 3 万元。",
             purpose="客户要求驻场调研后再出正式方案，这是进入短名单的条件。",
             audience=A.INTERNAL,
             basis="客户项目经理邮件。"),
        dict(title="{short}账期延长审批",
             deliverable="账期从 60 天延长到 120 天的审批意见",
             details="客户为国有企业，付款流程长但信用好，历史上无坏账。",
             purpose="不延长账期，客户采购流程走不下去。",
             audience=A.INTERNAL,
             basis="客户财务部的付款管理制度。"),
    ],
    T.SOURCING: [
        dict(title="{short}工业相机替代货源",
             deliverable="2 家以上可替代的工业相机供应商及报价",
             details="500 万像素全局快门 GigE 相机 {qty} 台，原供应商交期 16 周。",
             purpose="相机交期决定整线交付时间。",
             audience=A.INTERNAL,
             basis="原供应商的交期确认函。"),
        dict(title="{short}防爆电机询价",
             deliverable="防爆电机询价结果（价格、交期、认证）",
             details="Ex d IIB T4，1.5 kW，共 {qty} 台，须有 CCC 防爆认证。",
             purpose="防爆电机不是我们自产，价格和交期先锁定才能报价。",
             audience=A.INTERNAL,
             basis="客户技术规格书。"),
        dict(title="{short}小批量非标件找供应商",
             deliverable="非标钣金件供应商确认及交期",
             details="共 6 种非标支架，每种 20 件，图纸见附件；量小，常规供应商不愿接。",
             purpose="小件卡住整个项目交付，客户已经催了两次。",
             audience=A.INTERNAL,
             basis="客户项目经理的催货邮件。"),
    ],
    T.OTHER: [
        dict(title="请领导陪同拜访{short}高层", team=Function.SALES,
             deliverable="总监陪同拜访客户分管副总，约 1 小时",
             details="议题：二期规划和战略合作；客户方参会为分管副总和设备部长。",
             purpose="客户高层希望对等沟通，只有销售去层级不够。",
             audience=A.CUSTOMER_EXECUTIVE,
             basis="客户设备部长私下建议：“你们领导来一趟，事情好推。”"),
        dict(title="{short}投标保函", team=Function.FINANCE,
             deliverable="投标保函（20 万元，有效期 90 天）",
             details="受益人为客户的招标代理公司，开标前 3 天原件须送达。",
             purpose="没有保函，投标无效。",
             audience=A.INTERNAL,
             basis="招标文件第 2.8 条。"),
        dict(title="{short}质量部来厂审核接待", team=Function.PRODUCTION,
             deliverable="安排客户质量部参观总装车间和老化测试区",
             details="客户质量部 4 人来访，重点看来料检验记录和老化测试记录。",
             purpose="客户质量部审核通过才能把我们列入合格供方。",
             audience=A.CUSTOMER_WORKING,
             basis="客户发来的供应商审核通知。"),
        dict(title="{short}国产化证明材料", team=Function.LEGAL,
             deliverable="自有品牌 PLC 的软件著作权和发明专利清单（盖章版）",
             details="客户要求提供国产化证明：软著和发明专利证书复印件，以及自主知识产权声明。",
             purpose="国产化率是评分项，占 5 分。",
             audience=A.CUSTOMER_WORKING,
             basis="招标文件评分表。"),
    ],
}

# What happens along the way, by type of ask.
TYPE_TEXTS = {
    T.SOLUTION: dict(
        question="能提供客户现有产线的设备台账和网络拓扑吗？没有这些，架构图画不出来。",
        answer="已上传客户设备部给的设备台账（Excel）和网络拓扑照片，IP 段以台账为准。",
        delivered="方案 v1 已上传：第 3 章系统架构图，第 4 章设备清单，第 6 章实施计划。",
        counter="本周还有两个投标在赶，最快下周二给，保证质量。",
        declined="需求范围还没和客户确认清楚，建议先做一次需求调研再出方案。",
        reopen="客户反馈缺少与 SAP 的接口说明，麻烦补一章接口设计。"),
    T.BID_DOCUMENT: dict(
        question="招标文件附件 3 的业绩证明要原件扫描还是复印件盖章？请向招标代理确认。",
        answer="已和招标代理确认：复印件加盖公章即可，原件开标时备查。",
        delivered="技术标已完成并通过内部评审，偏离表无负偏离，PDF 和 Word 版均已上传。",
        counter="星号条款需要研发出具测试报告，要多 3 天。",
        declined="项目要求近三年同类业绩 5 项，我们只有 2 项，资格不符，建议放弃投标。",
        reopen="招标代理发了补遗文件，第 5.3 条参数变更，偏离表需要更新。"),
    T.QUOTE: dict(
        question="报价是否含税？运输条款是送到客户厂门口还是到工位？",
        answer="含 13% 增值税，送货到工位并含安装调试。",
        delivered="分项报价单已上传，硬件、软件、服务分列，有效期 30 天。",
        counter="视觉部分要等供应商回价，预计多 2 个工作日。",
        declined="客户配置需求还在变，等技术方案定稿后再报价更稳妥。",
        reopen="客户要求把三年维保单列，并补充备品备件价格。"),
    T.DEMO: dict(
        question="客户的真实 BOM 数据能提供吗？用样例数据说服力不够。",
        answer="已上传客户提供的 3 个产品 BOM（已脱敏）。",
        delivered="演示已完成，客户 IT 对追溯功能很认可，会议纪要已上传。",
        counter="演示环境要重新部署，需要多两天准备。",
        declined="演示样机本周在工博会展台上，无法安排，建议改为线上演示。",
        reopen="客户分管副总没赶上上次演示，要求再安排一次 30 分钟的精简版。"),
    T.MARGIN_REVIEW: dict(
        question="外购视觉相机的采购价锁定了吗？请附供应商报价单。",
        answer="已附供应商正式报价，有效期到月底。",
        delivered="审核意见：可按当前价格报出，但付款条件不能低于 3-6-1，测算见附件。",
        counter="月底结账期间，最快下周一给审核意见。",
        declined=("毛利低于事业部底线且没有二期承诺，财务不同意按此价格报出；"
                  "如需特批请走销售管理部。"),
        reopen="客户又压价 2 个点，请按新价格重新测算。"),
    T.CONTRACT_REVIEW: dict(
        question="客户能接受违约金设上限吗？请先问问客户法务的底线。",
        answer="客户法务口头同意违约金上限为合同总额的 10%，书面确认在走流程。",
        delivered="审核意见已上传：违约金建议设上限 10%，背景知识产权归我方。",
        counter="本周在处理一起诉讼，需要延后 2 天。",
        declined="客户要求我方承担无限连带责任，法务不能出具同意意见，请升级到销售副总裁决策。",
        reopen="客户法务退回修改稿，对第 14 条提了新意见，需要再审一轮。"),
    T.PRODUCTION_SLOT: dict(
        question="客户能接受分两批到货吗？第一批最少要多少台？",
        answer="客户同意分批，第一批不少于 60%，剩余两周内到齐即可。",
        delivered="已排产：第一批第 6 周出厂，第二批第 8 周出厂，排产单已上传。",
        counter="IGBT 模块还在途，最早只能再晚一周承诺。",
        declined="该时段产能已锁定给其他重点订单，无法插单；可承诺的最早交期见附言。",
        reopen="客户把到货时间提前了一周，需要重新评估排产。"),
    T.APPROVAL: dict(
        question="请补充竞争对手报价的依据，客户原话或书面材料都可以。",
        answer="已上传客户采购转来的比价表截图，竞品价格在第 2 行。",
        delivered="同意，条件：二期项目须在明年 6 月前签约，否则不再执行该价格。",
        counter="需要等周一销售例会集体决策。",
        declined="不同意：该客户暂无二期计划，特价会扰乱区域价格体系。",
        reopen="客户最终要求再降 1 个点，需要重新审批。"),
    T.SOURCING: dict(
        question="客户接受国产替代品牌吗？需要客户书面确认。",
        answer="客户技术部回复可以接受国产品牌，但要提供第三方检测报告。",
        delivered="已找到 2 家合格供应商，报价和交期对比表已上传，推荐第一家。",
        counter="供应商这周放假，下周才能回复询价。",
        declined="量太小，合格供应商都不接单，建议和客户沟通改用标准件。",
        reopen="推荐的供应商交期变了，需要重新找备选。"),
    T.OTHER: dict(
        question="具体需要哪天、哪些人参加？议题请再明确一下。",
        answer="客户定在下周四下午，议题是二期合作框架，参会名单已补充。",
        delivered="已办妥，纪要和相关材料已上传。",
        counter="这周日程排满了，下周可以安排。",
        declined="这件事不在本部门职责范围内，建议转给对应部门。",
        reopen="客户那边还有后续要求，需要再跟进一次。"),
}
# fmt: on

CANCEL_REASONS = [
    "客户项目延期到明年，先取消。",
    "客户改为公开招标，这部分内容并入投标文件统一准备。",
    "客户内部已经自行解决，不再需要。",
    "和另一条需求重复，以那条为准。",
    "客户预算被砍，本期不做这部分。",
]
REJECT_NOTES = [
    "客户会议时间定死了，没法往后挪，辛苦按原时间。",
    "这是客户高层定的节点，不能延后。",
]
REQUESTER_COMMENTS = [
    "补充一下：客户设备部长也会参会，他最关心停线时间。",
    "客户那边会议提前到上午九点，麻烦尽量早一点给我。",
    "我周四在客户现场，有问题直接打我电话。",
    "客户刚确认了预算范围，附件已更新。",
]
ASSIGNEE_COMMENTS = [
    "已和客户技术负责人通了电话，参数基本清楚了。",
    "初稿完成约六成，明天发内部评审。",
    "卡在供应商回价，已经催了两次。",
    "需要的资料已收到，按计划推进。",
]
MILESTONES = [  # (label, audience, share of the way to the final deadline)
    ("v1 内部评审稿（销售、售前负责人过目）", A.INTERNAL, 0.35),
    ("v2 客户工作层沟通稿（设备部、信息中心）", A.CUSTOMER_WORKING, 0.7),
    ("v3 客户高层汇报稿", A.CUSTOMER_EXECUTIVE, 1.0),
]
MILESTONE_SHARE = {T.SOLUTION: 0.6, T.BID_DOCUMENT: 0.5, T.DEMO: 0.2, T.QUOTE: 0.15}
DOCUMENT_TYPES = (T.SOLUTION, T.BID_DOCUMENT, T.QUOTE, T.MARGIN_REVIEW, T.CONTRACT_REVIEW)

# --- the asks: how each state is reached ----------------------------------------------


class Step(NamedTuple):
    kind: str
    from_status: str = ""
    to_status: str = ""
    actor: str = ""  # "requester" or "assignee"; empty: whoever normally does it


AGREE = Step(K.AGREED, S.PROPOSED, S.AGREED)
COUNTER = Step(K.COUNTERED, S.PROPOSED, S.COUNTERED)
ACCEPT = Step(K.COUNTER_ACCEPTED, S.COUNTERED, S.AGREED)
REJECT = Step(K.COUNTER_REJECTED, S.COUNTERED, S.PROPOSED)
START = Step(K.STARTED, S.AGREED, S.IN_PROGRESS)
ASK_INFO = Step(K.INFO_REQUESTED, S.IN_PROGRESS, S.WAITING)
ASK_INFO_FIRST = Step(K.INFO_REQUESTED, S.PROPOSED, S.WAITING)
ANSWER = Step(K.INFO_PROVIDED, S.WAITING, S.IN_PROGRESS)
RECOUNTER = Step(K.COUNTERED, S.IN_PROGRESS, S.COUNTERED)
DELIVER = Step(K.DELIVERED, S.IN_PROGRESS, S.DELIVERED)
CONFIRM = Step(K.CONFIRMED, S.DELIVERED, S.DONE)
REOPEN = Step(K.REOPENED, S.DELIVERED, S.REOPENED)
REOPEN_DONE = Step(K.REOPENED, S.DONE, S.REOPENED)
DECLINE = Step(K.DECLINED, S.PROPOSED, S.DECLINED)
DECLINE_RUNNING = Step(K.DECLINED, S.IN_PROGRESS, S.DECLINED)
CANCEL = Step(K.CANCELLED, S.PROPOSED, S.CANCELLED)
CANCEL_AGREED = Step(K.CANCELLED, S.AGREED, S.CANCELLED)
CANCEL_RUNNING = Step(K.CANCELLED, S.IN_PROGRESS, S.CANCELLED)

# The ways an ask reaches each state (after "created", and "claimed" for queue asks).
PATHS = {
    S.PROPOSED: [()],
    S.COUNTERED: [(COUNTER,), (COUNTER,), (AGREE, START, RECOUNTER)],
    S.AGREED: [(AGREE,), (AGREE,), (COUNTER, ACCEPT), (COUNTER, REJECT, AGREE)],
    S.IN_PROGRESS: [(AGREE, START), (AGREE, START), (AGREE, START, ASK_INFO, ANSWER),
                    (COUNTER, ACCEPT, START)],
    S.WAITING: [(ASK_INFO_FIRST,), (AGREE, START, ASK_INFO), (AGREE, START, ASK_INFO)],
    S.DELIVERED: [(AGREE, START, DELIVER), (AGREE, START, ASK_INFO, ANSWER, DELIVER)],
    S.DONE: [(AGREE, START, DELIVER, CONFIRM), (AGREE, START, DELIVER, CONFIRM),
             (COUNTER, ACCEPT, START, DELIVER, CONFIRM)],
    S.DECLINED: [(DECLINE,), (DECLINE,), (AGREE, START, DECLINE_RUNNING)],
    S.CANCELLED: [(CANCEL,), (AGREE, CANCEL_AGREED), (AGREE, START, CANCEL_RUNNING)],
    S.REOPENED: [(AGREE, START, DELIVER, REOPEN), (AGREE, START, DELIVER, CONFIRM, REOPEN_DONE)],
}  # fmt: skip

REQUESTER_KINDS = {
    K.CREATED, K.COUNTER_ACCEPTED, K.COUNTER_REJECTED, K.INFO_PROVIDED, K.CONFIRMED,
    K.REOPENED, K.CANCELLED,
}  # fmt: skip
# Hours from the previous event to this one (then moved into office hours).
STEP_HOURS = {
    K.CLAIMED: (0.5, 6), K.AGREED: (0.5, 8), K.COUNTERED: (1, 10), K.COUNTER_ACCEPTED: (1, 10),
    K.COUNTER_REJECTED: (1, 8), K.STARTED: (1, 20), K.INFO_REQUESTED: (4, 30),
    K.INFO_PROVIDED: (2, 30), K.DELIVERED: (20, 100), K.CONFIRMED: (2, 48),
    K.REOPENED: (4, 60), K.DECLINED: (2, 40), K.CANCELLED: (4, 72), K.COMMENTED: (1, 12),
}  # fmt: skip
# Days between an ask's last event and now, by its state (overdue ones sit longer).
QUIET_DAYS = {
    S.PROPOSED: (0.05, 2), S.COUNTERED: (0.1, 2), S.AGREED: (0.2, 3), S.IN_PROGRESS: (0.5, 4),
    S.WAITING: (0.5, 5), S.DELIVERED: (0.2, 3), S.DONE: (1, 30), S.DECLINED: (1, 30),
    S.CANCELLED: (1, 30), S.REOPENED: (0.5, 4),
}  # fmt: skip
OVERDUE_QUIET_DAYS = (3, 9)


# --- the plan (pure: no database) -----------------------------------------------------


@dataclass
class EventPlan:
    kind: str
    actor: str  # "requester" or "assignee"
    at: dt.datetime
    from_status: str = ""
    to_status: str = ""
    note: str = ""
    data: dict = field(default_factory=dict)


@dataclass
class AskPlan:
    title: str
    ask_type: str
    team: str
    requester: str
    assignee: str | None
    fields: dict
    events: list[EventPlan]
    milestones: list[dict]


@dataclass
class DealPlan:
    row: DealRow
    created_at: dt.datetime
    stakeholders: list[tuple[str, str]]  # (username, role)
    asks: list[AskPlan]


PEOPLE_BY_USERNAME = {p.username: p for p in PEOPLE}
TEAM_BY_FUNCTION = {function: name for name, function, *_ in TEAMS if function != Function.SALES}


def _office(t: dt.datetime) -> dt.datetime:
    """A moment at or before ``t`` in Shanghai office hours (Monday to Friday, 09–19)."""
    local = t.astimezone(SHANGHAI)
    if local.hour < 9:
        local -= dt.timedelta(days=1)
    if local.weekday() >= 5:
        local -= dt.timedelta(days=2)
    if not 9 <= local.hour < 19:
        local = local.replace(hour=9 + local.hour % 10)
    return local


def _due(t: dt.datetime, *, after: dt.datetime, before: dt.datetime | None = None):
    """A deadline near ``t`` as people set them (a weekday, 12:00 or 18:00), within bounds."""
    local = t.astimezone(SHANGHAI)
    day = local.date()
    while day.weekday() >= 5:
        day -= dt.timedelta(days=1)
    hour = 12 if day == local.date() and local.hour < 12 else 18
    snapped = dt.datetime.combine(day, dt.time(hour), SHANGHAI)
    for candidate in (snapped, local.replace(second=0, microsecond=0)):
        if candidate > after and (before is None or candidate < before):
            return candidate
    return after + (before - after) / 2 if before else after + dt.timedelta(hours=4)


def _days(rng: random.Random, lo: float, hi: float) -> dt.timedelta:
    return dt.timedelta(days=rng.uniform(lo, hi))


def _weighted(rng: random.Random, weights: dict):
    keys = list(weights)
    return rng.choices(keys, weights=[weights[k] for k in keys])[0]


def _team_members(team: str) -> dict[str, int]:
    return {p.username: p.load for p in PEOPLE if p.team == team and p.load}


def plan_company(rng: random.Random, now: dt.datetime) -> list[DealPlan]:
    pins = {"rep": list(REP_MUST_HAVE), "presales": list(PRESALES_MUST_HAVE)}
    return [plan_deal(row, rng, now, pins) for row in DEALS]


def plan_deal(row: DealRow, rng: random.Random, now: dt.datetime, pins: dict) -> DealPlan:
    manager = PEOPLE_BY_USERNAME[row.owner].manager
    stakeholders = [(manager, Role.MANAGER)]
    for role in rng.sample(list(STAKEHOLDER_ROLES), k=rng.randint(0, 3),
                           counts=list(STAKEHOLDER_ROLES.values())):  # fmt: skip
        if role in {r for _, r in stakeholders}:
            continue
        team = TEAM_BY_FUNCTION[Role(role).function]
        stakeholders.append((_weighted(rng, _team_members(team)), role))

    if row.stage == Stage.WON:
        weights = WON_DEAL_STATUSES
    elif row.stage == Stage.LOST:
        weights = LOST_DEAL_STATUSES
    else:
        weights = OPEN_DEAL_STATUSES
    used: set[int] = set()
    asks = []
    for _ in range(rng.randint(*ASKS_PER_STAGE[row.stage])):
        deal_open = row.stage not in (Stage.WON, Stage.LOST)
        if row.owner == "rep" and deal_open and pins["rep"]:
            status, overdue = pins["rep"].pop(0)
            presales_pins = []
        else:
            status = _weighted(rng, weights)
            overdue = status in DEADLINE_STATUSES and rng.random() < OVERDUE_SHARE
            presales_pins = pins["presales"] if deal_open else []
        asks.append(plan_ask(row, status, overdue, stakeholders, used, rng, now, presales_pins))

    first = min(a.fields["created_at"] for a in asks)
    created_at = _office(first - _days(rng, 5, 40))
    return DealPlan(row=row, created_at=created_at, stakeholders=stakeholders, asks=asks)


def _pick_template(rng: random.Random, used: set[int]) -> tuple[str, dict]:
    while True:
        ask_type = _weighted(rng, TYPE_WEIGHTS)
        fresh = [t for t in TEMPLATES[ask_type] if id(t) not in used]
        if fresh:
            template = rng.choice(fresh)
            used.add(id(template))
            return ask_type, template


def _pick_assignee(row, team, function, stakeholders, rng) -> str:
    if function == Function.SALES:
        return PEOPLE_BY_USERNAME[row.owner].manager
    on_deal = [u for u, _ in stakeholders if PEOPLE_BY_USERNAME[u].team == team]
    if on_deal and rng.random() < 0.7:
        return on_deal[0]
    return _weighted(rng, _team_members(team))


def plan_ask(row, status, overdue, stakeholders, used, rng, now, presales_pins) -> AskPlan:
    ask_type, template = _pick_template(rng, used)
    function = template.get("team") or ASK_TYPE_FUNCTION[ask_type]
    if function == Function.SALES:
        team = PEOPLE_BY_USERNAME[row.owner].team  # the owner's own manager helps
    else:
        team = TEAM_BY_FUNCTION[function]
    fill = {key: rng.choice(values) for key, values in FILLS.items()} | {"short": row.short}
    brief = {
        key: template[key].format(**fill) for key in ("deliverable", "details", "purpose", "basis")
    }
    assignee = _pick_assignee(row, team, function, stakeholders, rng)
    queued = status == S.PROPOSED and rng.random() < 0.5
    if function == Function.PRESALES and presales_pins:
        (status, overdue), assignee, queued = presales_pins.pop(0), "presales", False
    claimed = not queued and rng.random() < 0.3
    fields, events = plan_history(
        ask_type, status, overdue, claimed=claimed, comment=rng.random() < 0.25, rng=rng, now=now
    )
    fields |= brief
    fields |= {
        "audience": template["audience"],
        "basis_verified": rng.random() < 0.6,
        "links": f"https://pan.{EMAIL_DOMAIN}/s/{_token(rng)}" if rng.random() < 0.3 else "",
    }
    if fields["delivery_note"] and ask_type in DOCUMENT_TYPES:
        fields["delivery_link"] = f"https://pan.{EMAIL_DOMAIN}/s/{_token(rng)}"
        for event in events:
            if event.kind == K.DELIVERED:
                event.data = {"link": fields["delivery_link"]}
    milestones = []
    if rng.random() < MILESTONE_SHARE.get(ask_type, 0):
        milestones = plan_milestones(fields, now, rng)
    return AskPlan(
        title=template["title"].format(**fill),
        ask_type=ask_type,
        team=team,
        requester=row.owner,
        assignee=None if queued else assignee,
        fields=fields,
        events=events,
        milestones=milestones,
    )


def _token(rng: random.Random) -> str:
    return "".join(rng.choices(string.ascii_letters + string.digits, k=10))


def _timeline(steps, rng: random.Random, now: dt.datetime, quiet_days) -> list[EventPlan]:
    """Lay the steps out backwards from the last one, in office hours, all in the past."""
    t = _office(now - _days(rng, *quiet_days))
    events = []
    for step in reversed(steps):
        actor = step.actor or ("requester" if step.kind in REQUESTER_KINDS else "assignee")
        events.append(EventPlan(step.kind, actor, t, step.from_status, step.to_status))
        t = _office(t - dt.timedelta(hours=rng.uniform(*STEP_HOURS[step.kind])))
    events.append(EventPlan(K.CREATED, "requester", t, to_status=S.PROPOSED))
    return events[::-1]


def _with_extras(path, *, claimed: bool, comment: bool, rng: random.Random) -> list[Step]:
    steps = list(path)
    if comment:
        at = rng.randint(0, len(steps))
        actor = "requester" if at == 0 or rng.random() < 0.5 else "assignee"
        steps.insert(at, Step(K.COMMENTED, actor=actor))
    if claimed:
        steps.insert(0, Step(K.CLAIMED))
    return steps


def plan_history(ask_type, status, overdue, *, claimed, comment, rng, now):
    """The ask's fields and timeline for a given end state."""
    path = rng.choice(PATHS[status])
    steps = _with_extras(path, claimed=claimed, comment=comment, rng=rng)
    quiet = OVERDUE_QUIET_DAYS if overdue else QUIET_DAYS[status]
    events = _timeline(steps, rng, now, quiet)
    at = {e.kind: e.at for e in events}
    due = _deadlines(status, overdue, at, rng, now)
    texts = TYPE_TEXTS[ask_type]
    fields = {
        "status": status,
        "created_at": events[0].at,
        "proposed_due_at": due["proposed"],
        "agreed_due_at": due.get("agreed"),
        "counter_due_at": due.get("counter") if status == S.COUNTERED else None,
        "resume_status": "",
        "waiting_since": None,
        "responded_at": None,
        "started_at": None,
        "delivered_at": None,
        "closed_at": None,
        "delivery_note": "",
        "delivery_link": "",
        "decline_reason": "",
    }
    for event in events:
        _apply(event, fields, due, texts, rng)
    return fields, events


def _deadlines(status, overdue, at, rng, now) -> dict:
    """Proposed, agreed and counter-proposed deadlines that fit the timeline."""
    created = at[K.CREATED]
    agreed_at = at.get(K.AGREED) or at.get(K.COUNTER_ACCEPTED)
    last = max(at.values())
    due = {}
    if agreed_at is not None:
        floor = agreed_at + dt.timedelta(hours=4)
        if K.DELIVERED in at:
            due["agreed"] = _due(at[K.DELIVERED] + _days(rng, -1.5, 2), after=floor)
        elif status in DEADLINE_STATUSES and overdue:
            gap = now - agreed_at
            target = agreed_at + gap * rng.uniform(0.3, 0.8)
            due["agreed"] = _due(target, after=agreed_at, before=now - dt.timedelta(hours=2))
        elif status in DEADLINE_STATUSES:
            due["agreed"] = _due(now + _days(rng, 0.5, 8), after=now)
        elif status in (S.COUNTERED, S.WAITING):
            due["agreed"] = _due(now + _days(rng, -1, 3), after=floor)
        else:  # cancelled or declined after agreeing
            due["agreed"] = _due(last + _days(rng, -1, 3), after=floor)

    if K.COUNTER_ACCEPTED in at:
        earlier = due["agreed"] - _days(rng, 1, 4)
        due["proposed"] = _due(earlier, after=created + dt.timedelta(hours=3),
                               before=due["agreed"])  # fmt: skip
        due["counter"] = due["agreed"]
    elif agreed_at is not None:
        due["proposed"] = due["agreed"]
    elif status == S.PROPOSED:
        due["proposed"] = _due(now + _days(rng, 0.5, 6), after=now)
    elif status == S.WAITING:
        due["proposed"] = _due(max(now + _days(rng, 0, 4), created + dt.timedelta(days=1)),
                               after=created)  # fmt: skip
    else:  # countered from proposed, declined, cancelled
        due["proposed"] = _due(created + _days(rng, 1, 4), after=created)

    if K.COUNTER_REJECTED in at:
        due["counter"] = _due(due["proposed"] + _days(rng, 2, 5), after=due["proposed"])
    elif status == S.COUNTERED:
        base = max(due.get("agreed") or due["proposed"], now)
        due["counter"] = _due(base + _days(rng, 2, 7), after=base)
    return due


def _apply(event: EventPlan, fields: dict, due: dict, texts: dict, rng: random.Random) -> None:
    """Play one event onto the ask's fields, and give the event its note and data."""
    kind, t = event.kind, event.at
    first_response = (K.AGREED, K.COUNTERED, K.INFO_REQUESTED, K.DECLINED)
    if kind in first_response and fields["responded_at"] is None:
        fields["responded_at"] = t
    if kind == K.CREATED:
        event.data = {"proposed_due_at": due["proposed"].isoformat()}
    elif kind in (K.AGREED, K.COUNTER_ACCEPTED):
        event.data = {"agreed_due_at": due["agreed"].isoformat()}
        fields["resume_status"] = ""
    elif kind == K.COUNTERED:
        event.note = texts["counter"]
        event.data = {"counter_due_at": due["counter"].isoformat()}
        fields["resume_status"] = event.from_status
    elif kind == K.COUNTER_REJECTED:
        event.note = rng.choice(REJECT_NOTES)
        fields["resume_status"] = ""
    elif kind == K.STARTED:
        fields["started_at"] = fields["started_at"] or t
    elif kind == K.INFO_REQUESTED:
        event.note = texts["question"]
        fields["resume_status"] = event.from_status
        fields["waiting_since"] = t
    elif kind == K.INFO_PROVIDED:
        event.note = texts["answer"]
        event.data = {"paused_seconds": int((t - fields["waiting_since"]).total_seconds())}
        fields["resume_status"] = ""
        fields["waiting_since"] = None
    elif kind == K.DELIVERED:
        event.note = fields["delivery_note"] = texts["delivered"]
        fields["delivered_at"] = t
    elif kind == K.CONFIRMED:
        fields["closed_at"] = t
    elif kind == K.REOPENED:
        event.note = texts["reopen"]
        fields["delivered_at"] = fields["closed_at"] = None
    elif kind == K.DECLINED:
        event.note = fields["decline_reason"] = texts["declined"]
        fields["closed_at"] = t
        fields["resume_status"] = ""
        fields["waiting_since"] = None
    elif kind == K.CANCELLED:
        event.note = rng.choice(CANCEL_REASONS)
        fields["closed_at"] = t
    elif kind == K.COMMENTED:
        pool = REQUESTER_COMMENTS if event.actor == "requester" else ASSIGNEE_COMMENTS
        event.note = rng.choice(pool)


def plan_milestones(fields: dict, now: dt.datetime, rng: random.Random) -> list[dict]:
    """v1 internal, v2 the customer's working level, v3 its executives, up to the deadline."""
    created = fields["created_at"]
    final = fields["agreed_due_at"] or fields["counter_due_at"] or fields["proposed_due_at"]
    delivered_at = fields["delivered_at"]
    working = fields["started_at"] is not None and fields["status"] not in CLOSED_STATUSES
    plans, previous = [], created
    for position, (label, audience, share) in enumerate(MILESTONES, start=1):
        # Drawn whatever happens below: what the rng yields must not depend on the clock,
        # or a later run would plan different asks.
        slack = dt.timedelta(hours=rng.uniform(1, 20))
        due = final if share == 1 else _due(created + (final - created) * share,
                                            after=previous, before=final)  # fmt: skip
        done_at = None
        if delivered_at is not None:
            done_at = delivered_at if share == 1 else min(due, delivered_at)
        elif working and share < 1 and due < now:
            done_at = due
        if done_at is not None and share < 1:
            done_at = max(done_at - slack, fields["started_at"] or created)
        plans.append(dict(position=position, label=label, audience=audience, due_at=due,
                          delivered_at=done_at))  # fmt: skip
        previous = due
    return plans


# --- writing it -----------------------------------------------------------------------


class Command(BaseCommand):
    help = (
        "Load a demo company (Suzhou industrial automation maker): teams, people, deals and "
        "asks in every state. Safe to run again. Demo logins only when DEBUG is on."
    )

    def handle(self, *args, **options):
        debug = bool(settings.DEBUG)
        now = timezone.now()
        plans = plan_company(random.Random(SEED), now)
        before = _counts()
        with transaction.atomic():
            teams = seed_teams()
            users = seed_people(teams, debug)
            seed_admin(debug)
            for plan in plans:
                seed_deal(plan, users, teams)
        self._summary(before, _counts(), debug, now)

    def _summary(self, before: Counter, after: Counter, debug: bool, now) -> None:
        out = self.stdout
        out.write(f"Demo company: {COMPANY}")
        for label, _ in COUNTED:
            new = after[label] - before[label]
            out.write(f"  {label:<13}{after[label]:>6}" + (f"  (+{new})" if new else ""))
        by_status = Counter(Ask.objects.values_list("status", flat=True))
        out.write("  asks by status: " + ", ".join(f"{s} {by_status[s]}" for s in S.values))
        overdue = Ask.objects.filter(status__in=DEADLINE_STATUSES, agreed_due_at__lt=now).count()
        out.write(f"  overdue asks: {overdue}")
        if not debug:
            self.stderr.write(
                self.style.WARNING(
                    "DEBUG is off: no demo logins were created; every seeded person has an "
                    "unusable password."
                )
            )
            return
        out.write(f"Demo logins (password: {settings.DEMO_PASSWORD}):")
        for username in (*DEMO_LOGINS, ADMIN_USERNAME):
            person = PEOPLE_BY_USERNAME.get(username)
            who = f"{person.name}, {person.job_title}, {person.team}" if person else "superuser"
            out.write(f"  {username:<12}{who}")


def _counts() -> Counter:
    return Counter({label: model.objects.count() for label, model in COUNTED})


def seed_teams() -> dict[str, Team]:
    teams = {}
    for name, function, _lead, response, turnaround in TEAMS:
        teams[name], _ = Team.objects.update_or_create(
            name=name,
            defaults={
                "function": function,
                "response_hours": response,
                "turnaround_hours": turnaround,
            },
        )
    return teams


def seed_people(teams: dict[str, Team], debug: bool) -> dict:
    User = get_user_model()
    users = {}
    for person in PEOPLE:
        user, _ = User.objects.get_or_create(username=person.username)
        user.first_name, user.last_name = person.name, ""
        user.email = f"{person.email}@{EMAIL_DOMAIN}"
        user.is_active, user.is_staff, user.is_superuser = True, False, False
        if debug and person.username in DEMO_LOGINS:
            user.set_password(settings.DEMO_PASSWORD)
        else:
            user.set_unusable_password()
        user.save()
        users[person.username] = user
    for person in PEOPLE:
        Profile.objects.update_or_create(
            user=users[person.username],
            defaults={
                "team": teams[person.team],
                "manager": users[person.manager] if person.manager else None,
                "job_title": person.job_title,
            },
        )
    for name, _function, lead, *_ in TEAMS:
        Team.objects.filter(pk=teams[name].pk).update(lead=users[lead])
    return users


def seed_admin(debug: bool) -> None:
    """A superuser for the admin site, only on a development machine."""
    User = get_user_model()
    if not debug:
        # Lock the one an earlier DEBUG run made; leave any other "admin" alone.
        for user in User.objects.filter(username=ADMIN_USERNAME, email=ADMIN_EMAIL):
            user.set_unusable_password()
            user.save(update_fields=["password"])
        return
    user, _ = User.objects.get_or_create(username=ADMIN_USERNAME)
    user.first_name, user.last_name, user.email = "系统管理员", "", ADMIN_EMAIL
    user.is_active, user.is_staff, user.is_superuser = True, True, True
    user.set_password(settings.DEMO_PASSWORD)
    user.save()


def seed_deal(plan: DealPlan, users: dict, teams: dict[str, Team]) -> None:
    row = plan.row
    deal, _ = Deal.objects.get_or_create(
        customer=row.customer,
        title=row.title,
        defaults={
            "owner": users[row.owner],
            "amount": Decimal(row.amount),
            "stage": row.stage,
            "expected_close_date": timezone.localdate() + dt.timedelta(days=row.close_in_days),
            "why_it_matters": row.why,
            "reference_customer": "R" in row.flags,
            "follow_on_phases": "F" in row.flags,
            "demonstration_value": "D" in row.flags,
            "created_at": plan.created_at,
        },
    )
    for username, role in plan.stakeholders:
        Stakeholder.objects.get_or_create(deal=deal, user=users[username], role=role)
    for ask_plan in plan.asks:
        seed_ask(deal, ask_plan, users, teams)


def seed_ask(deal: Deal, plan: AskPlan, users: dict, teams: dict[str, Team]) -> None:
    requester = users[plan.requester]
    assignee = users[plan.assignee] if plan.assignee else None
    ask, created = Ask.objects.get_or_create(
        deal=deal,
        title=plan.title,
        defaults={
            "requester": requester,
            "team": teams[plan.team],
            "assignee": assignee,
            "ask_type": plan.ask_type,
            **plan.fields,
        },
    )
    if not created:
        return  # its timeline is already there, and timelines are append-only
    Milestone.objects.bulk_create(Milestone(ask=ask, **m) for m in plan.milestones)
    actors = {"requester": requester, "assignee": assignee}
    AskEvent.objects.bulk_create(
        AskEvent(
            ask=ask,
            actor=actors[e.actor],
            kind=e.kind,
            from_status=e.from_status,
            to_status=e.to_status,
            note=e.note,
            data=e.data,
            created_at=e.at,
        )
        for e in plan.events
    )


COUNTED = [
    ("people", get_user_model()),
    ("teams", Team),
    ("deals", Deal),
    ("stakeholders", Stakeholder),
    ("asks", Ask),
    ("events", AskEvent),
    ("milestones", Milestone),
]
