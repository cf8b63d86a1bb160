/*
| The copies of a contractor's Stripe balance this process keeps (the home
| page's glance, the balance page) register here; money the app moves for a
| contractor (a transfer or a debit written or recorded: the models' hooks)
| forgets them, so their next page reads Stripe again. No import: models
| load this without the Stripe client.
*/

/** null: every contractor */
type Forget = (userId: number | null) => void

const forgetters: Forget[] = []

export function onMoneyMoved(forget: Forget) {
  forgetters.push(forget)
}

/** In this process only; another app process keeps its copy until it expires */
export function moneyMovedFor(userId: number | null) {
  for (const forget of forgetters) {
    forget(userId)
  }
}
