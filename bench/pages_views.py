"""The bare queue: the practical limit of this stack for a 300-row page.

The same middleware as every product page (session, user, profile, login required), then
one raw SQL query for my open asks joined to their deal and requester, and a minimal
template. No ranking, no filters, no header: what any page of ours costs at the least.
"""

from django.db import connection
from django.shortcuts import render
from django.views.decorators.http import require_GET

from deals.models import OPEN_STATUSES, AskStatus

# "My queue" leaves out delivered asks: they wait on the requester to confirm.
QUEUE_STATUSES = tuple(str(s) for s in OPEN_STATUSES if s != AskStatus.DELIVERED)

BARE_QUEUE_SQL = """
    SELECT a.id, a.title, d.customer, d.amount, d.currency, a.status,
           coalesce(a.agreed_due_at,
                    CASE WHEN a.status = 'countered' THEN a.counter_due_at END,
                    a.proposed_due_at) AS due_at,
           trim(u.first_name || ' ' || u.last_name) AS requester, u.username
    FROM deals_ask a
    JOIN deals_deal d ON d.id = a.deal_id
    JOIN auth_user u ON u.id = a.requester_id
    WHERE a.assignee_id = %s AND a.status IN %s
    ORDER BY due_at, a.id
"""


@require_GET
def bare_queue(request):
    with connection.cursor() as cur:
        cur.execute(BARE_QUEUE_SQL, [request.user.pk, QUEUE_STATUSES])
        columns = [c.name for c in cur.description]
        rows = [dict(zip(columns, row, strict=True)) for row in cur.fetchall()]
    return render(request, "bench/bare_queue.html", {"rows": rows})
