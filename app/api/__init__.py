"""The REST API shell at /api/v1: API keys, problem+json errors, cursor pagination, OpenAPI.

Adding an endpoint (one view on `app.api.views.bp`, or on another blueprint whose URLs start with /api/
and that calls `register_problem_handlers` on itself):

    @bp.get("/customers")
    @api_key_required                      # 401/403 problems; sets g.shop_id, g.api_key_id
    @operation("List customers", response=CUSTOMER, many=True)   # registers it in /api/v1/openapi.json
    def customers():
        args = page_args(request.args)     # limit (1..250, default 50) and cursor, else a 400 problem
        page = paginate(request_uow().session, scoped(Customer, g.shop_id),
                        key_columns=(Customer.created_at, Customer.id), limit=args.limit, cursor=args.cursor)
        return list_response(page, serialize_customer)   # {"data": [...], "next_cursor": ...}

- `api_key_required` checks the key on a read connection of its own, or from this process's memory
  while no key or shop has changed since (app/auth_cache.py); `current_api_shop()` is the key's
  shop as it read it (plain values: id, currency, timezone, ...; no query). `request_uow()` is the
  request's unit of work, opened on first use and rolled back when the view returns unless the view
  commits it (writes do). Raise `app.errors` DomainErrors for refusals: they become problem+json with
  their detail; anything unexpected becomes a 500 that reveals nothing.
- `json_body()` reads a JSON object body (400/415 problems otherwise); `data_response(obj)` wraps one
  object as {"data": ...}; `iso8601(dt)` formats timestamps in UTC.
- `Schema("Name", {...json schema...})` declares a named component; schemas may nest other Schemas.
"""
