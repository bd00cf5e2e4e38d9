"""The embeddable widget: static files served by sitespeak.web.widget_routes."""
