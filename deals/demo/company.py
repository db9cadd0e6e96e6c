"""苏州澜拓智能装备股份有限公司: its departments, people and deals, as data."""

from __future__ import annotations

from typing import NamedTuple
from zoneinfo import ZoneInfo

from deals.models import (
    AskStatus,
    AskType,
    Audience,
    EventKind,
    Stage,
)
from stakeholders.models import Function, Role

S = AskStatus
K = EventKind
T = AskType
A = Audience

SEED = 20261122
SHANGHAI = ZoneInfo("Asia/Shanghai")
COMPANY = "苏州澜拓智能装备股份有限公司"
EMAIL_DOMAIN = "lantuo.example"
DEMO_LOGINS = ("rep", "presales", "presales_lead", "finance", "legal", "production", "manager")
ADMIN_USERNAME = "admin"
ADMIN_EMAIL = f"admin@{EMAIL_DOMAIN}"  # how a later run recognises the admin it made

# --- the company ----------------------------------------------------------------------

# (name, function, lead's username, response hours, turnaround hours)
TEAMS = [
    ("华东大客户部", Function.SALES, "manager", 4, 16),
    ("华南区域销售部", Function.SALES, "huang.zhiqiang", 4, 16),
    ("销售管理部", Function.MANAGEMENT, "zhou.haifeng", 4, 8),
    ("售前技术部", Function.PRESALES, "presales_lead", 4, 24),
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
    Person("presales_lead", "cao.ming", "曹明", "售前技术部总监", "售前技术部", "zhou.haifeng", 1),
    Person("presales", "yang.fan", "杨帆", "高级售前工程师", "售前技术部", "presales_lead", 2),
    Person("deng.kai", "deng.kai", "邓凯", "解决方案架构师", "售前技术部", "presales_lead", 3),
    Person("xu.nuo", "xu.nuo", "许诺", "售前工程师（MES）", "售前技术部", "presales_lead", 3),
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
