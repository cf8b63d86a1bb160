/*
|--------------------------------------------------------------------------
| Bouncer policies
|--------------------------------------------------------------------------
|
| Lazily imported, referenced by name in `bouncer.with(...)` and in Edge.
| Who may see an order is decided by `findOrderFor` (its employer and the
| contractors of its lines; 404 for everybody else).
|
*/
export const policies = {}
