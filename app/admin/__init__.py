"""The embedded admin: layout, navigation and the home page."""
