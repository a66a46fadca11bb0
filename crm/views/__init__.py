"""CRM admin pages: customers, the customer 360, companies, tasks; notes, tasks and sales reps by form.

Every page is `admin_required` and reads through crm.queries; every form POSTs with the session's
CSRF token (as the sign-in form does) to a crm.notes service, then redirects (303) back. An id of
another shop is a 404 page; bad input re-renders the page with the error by its field (422).
"""

# Importing the page modules registers their routes on the blueprint.
from crm.views import lists, profiles, tasks  # noqa: F401
from crm.views._shared import bp

__all__ = ["bp"]
