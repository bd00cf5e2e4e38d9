"""Sites: what a tenant's assistant knows about. See ``sitespeak.sites.registry``."""

from sitespeak.sites.registry import (
    PRIVATE_ADDRESSES_WHO,
    SiteScope,
    allowed_origins,
    announce_change,
    check_private_permission,
    create_site,
    delete_site,
    get_site,
    list_sites,
    site_by_key,
    site_view,
    update_site,
)

__all__ = [
    "PRIVATE_ADDRESSES_WHO",
    "SiteScope",
    "allowed_origins",
    "announce_change",
    "check_private_permission",
    "create_site",
    "delete_site",
    "get_site",
    "list_sites",
    "site_by_key",
    "site_view",
    "update_site",
]
