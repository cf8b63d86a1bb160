/*
|--------------------------------------------------------------------------
| Bouncer policies
|--------------------------------------------------------------------------
|
| Lazily imported, referenced by name in `bouncer.with(...)` and in Edge.
|
*/
export const policies = {
  OrderPolicy: () => import('#policies/order_policy'),
}
