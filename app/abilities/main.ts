/*
|--------------------------------------------------------------------------
| Bouncer abilities
|--------------------------------------------------------------------------
|
| None yet: who may reach a page is decided by the routes' `role` middleware,
| what a user may do with a record by the policies (app/policies). The module
| stays because the bouncer middleware gives every request its abilities.
|
*/
export {}
