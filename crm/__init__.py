"""The CRM model: customers, companies, orders, the products cache, timeline, notes, tasks and sales-
rep assignment.
"""
