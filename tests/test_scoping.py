"""The one scoping mechanism (core.models.scoped): provider-owned, region-wide and
agent-only objects."""

import datetime as dt

from remu.core.tenancy import Tenant
from remu.payments.models import PaymentRun
from remu.referential.models import Campaign

from . import factories as f


def test_agent_only_objects_are_never_a_providers(region, provider, agent):
    PaymentRun.objects.create(
        region=region, kind="monthly", month=dt.date(2026, 3, 1), status="done", created_by=agent
    )
    f.CampaignFactory(region=region)
    as_provider = Tenant(region=region, provider=provider)
    as_agent = Tenant(region=region, is_agent=True)
    assert PaymentRun.objects.for_tenant(as_agent).count() == 1
    assert PaymentRun.objects.for_tenant(as_provider).count() == 0
    # region-wide objects: the region's providers see them too
    assert Campaign.objects.for_tenant(as_provider).count() == 1
    assert Campaign.objects.for_tenant(Tenant()).count() == 0
