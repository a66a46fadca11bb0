"""Staff work on CRM accounts: staff members, notes, follow-up tasks and sales-rep assignment.

Contract (plain functions; keyword arguments after the unit of work; they never commit):

    Actor(label, staff_id=None)            who acts; Actor.of(member) for a staff member,
                                           Actor("API key tl_ab12") for other callers
    ensure_staff_member(uow, *, shop_id, name, shopify_user_id=None, email=None) -> CrmStaffMember
    list_staff_members(uow, *, shop_id, include_inactive=False) -> list[CrmStaffMember]
    get_staff_member(uow, *, shop_id, staff_id) -> CrmStaffMember          NotFound
    add_note(uow, *, shop_id, subject_type, subject_id, body, author: Actor) -> CrmNote
    add_task(uow, *, shop_id, subject_type, subject_id, title, due_on=None, assignee_id=None,
             author: Actor) -> CrmTask
    complete_task(uow, *, shop_id, task_id, actor: Actor) -> CrmTask        (already done: no change)
    reopen_task(uow, *, shop_id, task_id, actor: Actor) -> CrmTask          (already open: no change)
    reassign_task(uow, *, shop_id, task_id, assignee_id: int | None, actor: Actor) -> CrmTask
    assign_sales_rep(uow, *, shop_id, customer_id=None | company_id=None, staff_id: int | None,
                     actor: Actor) -> CrmStaffMember | None                 (None removes the rep)
    sales_rep_of(uow, *, shop_id, customer_id=None | company_id=None) -> CrmStaffMember | None

`subject_type` is "customer" or "company" (a `crm.models.SubjectType` works too) and `subject_id`
the crm_customer / crm_company row id. An id of another shop is NotFound (a 404), bad input
InvalidInput (422) naming the field; both change nothing. Every state change - a note added, a
task created, completed, reopened or reassigned, a sales rep set, changed or removed - writes one
CrmTimelineEvent on the subject's feed in the caller's transaction; a call that changes nothing
writes none. Staff members are identified as crm/models_work.py describes.
"""

from crm.notes._common import EXCERPT_CHARS, NOTE_MAX_CHARS, TITLE_MAX_CHARS, Actor
from crm.notes.notes_tasks import add_note, add_task, complete_task, reassign_task, reopen_task
from crm.notes.sales_reps import assign_sales_rep, sales_rep_of
from crm.notes.staff import ensure_staff_member, get_staff_member, list_staff_members, staff_identity

__all__ = [
    "EXCERPT_CHARS",
    "NOTE_MAX_CHARS",
    "TITLE_MAX_CHARS",
    "Actor",
    "add_note",
    "add_task",
    "assign_sales_rep",
    "complete_task",
    "ensure_staff_member",
    "get_staff_member",
    "list_staff_members",
    "reassign_task",
    "reopen_task",
    "sales_rep_of",
    "staff_identity",
]
