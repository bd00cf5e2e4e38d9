"""Sites: what a tenant's assistant knows about. See ``sitespeak.sites.registry``."""

from sitespeak.sites.registry import (
    SiteScope,
    allowed_origins,
    create_site,
    delete_site,
    get_site,
    list_sites,
    site_by_id,
    site_by_key,
    site_view,
    update_site,
)

__all__ = [
    "SiteScope",
    "allowed_origins",
    "create_site",
    "delete_site",
    "get_site",
    "list_sites",
    "site_by_id",
    "site_by_key",
    "site_view",
    "update_site",
]
