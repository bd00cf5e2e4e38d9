"""Static sites hosted on the box: immutable releases built from an owner's upload, switched
atomically, served by the web process on the site's own host name."""
