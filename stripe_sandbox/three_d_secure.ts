import { type Rec } from './core/store.js'
import { type Obj } from './core/types.js'
import { type Engine } from './engine.js'
import {
  actAs,
  escapeHtml,
  htmlPage,
  intentForPage,
  type PageReply,
  type PageRequest,
  pageUrl,
  registerPage,
} from './hosted_pages.js'
import { formatAmount } from './money.js'

/*
 * 3D Secure in sandbox mode. An intent confirmed with a return_url for a card
 * that needs authentication redirects the customer to a test page served by
 * the sandbox (as Stripe's test mode shows one). Its two buttons complete or
 * fail the challenge, exactly like the test_helpers/sandbox/.../authenticate
 * helpers, then send the browser back to the return_url with the query
 * parameters Stripe adds.
 */

export type Outcome = 'succeed' | 'fail'
type Authenticator = (intent: Rec, outcome: Outcome) => void

const authenticators = new WeakMap<Engine, Map<string, Authenticator>>()

/** PaymentIntents and SetupIntents register how their challenge completes. */
export function registerAuthenticator(engine: Engine, type: string, fn: Authenticator): void {
  let map = authenticators.get(engine)
  if (!map) {
    map = new Map()
    authenticators.set(engine, map)
  }
  map.set(type, fn)
}

/** `next_action.redirect_to_url` for an intent waiting for 3D Secure. */
export function redirectToUrl(engine: Engine, intent: Rec, returnUrl: string): Obj {
  return { return_url: returnUrl, url: pageUrl(engine, 'authenticate', intent) }
}

/** Stripe's `redirect_status` for where the intent ended up. */
function redirectStatus(status: string): string {
  if (status === 'succeeded' || status === 'requires_capture') {
    return 'succeeded'
  }
  return status === 'processing' ? 'processing' : 'failed'
}

/** The return_url with `payment_intent`/`setup_intent`, its client secret and `redirect_status`. */
export function returnLocation(intent: Rec): string | null {
  const returnUrl: string | null = intent.x.returnUrl ?? null
  if (!returnUrl) {
    return null
  }
  const url = new URL(returnUrl)
  url.searchParams.set(intent.type, intent.id)
  url.searchParams.set(`${intent.type}_client_secret`, intent.obj.client_secret)
  url.searchParams.set('redirect_status', redirectStatus(intent.obj.status))
  return url.toString()
}

function describeCard(engine: Engine, intent: Rec): string {
  const pm = intent.obj.payment_method ? engine.store.get(intent.obj.payment_method) : undefined
  const card = pm?.obj.card
  if (!card) {
    return 'your card'
  }
  const brand = String(card.brand)
  return `${brand.charAt(0).toUpperCase()}${brand.slice(1)} ending in ${card.last4}`
}

function challengePage(engine: Engine, intent: Rec): string {
  const isPayment = intent.type === 'payment_intent'
  const title = isPayment ? 'Authenticate this payment' : 'Authenticate this card'
  const what = isPayment
    ? `<p>Amount: <strong>${escapeHtml(formatAmount(intent.obj.amount, intent.obj.currency))}</strong></p>`
    : '<p>Saving this card for later payments needs your bank’s approval.</p>'
  return htmlPage(
    title,
    `<h1>${title}</h1>
<p class="note">Stripe sandbox test page. In test mode Stripe shows a page like this instead of
your bank’s 3D Secure check.</p>
${what}
<p>Card: <strong>${escapeHtml(describeCard(engine, intent))}</strong></p>
<form method="post" action="/sandbox/authenticate/${escapeHtml(intent.id)}">
<input type="hidden" name="client_secret" value="${escapeHtml(intent.obj.client_secret)}">
<button type="submit" name="outcome" value="succeed" class="primary">Complete authentication</button>
<button type="submit" name="outcome" value="fail" class="secondary">Fail authentication</button>
</form>`
  )
}

function donePage(intent: Rec): string {
  const location = returnLocation(intent)
  const link = location
    ? `<p><a href="${escapeHtml(location)}">Return to the site you came from</a></p>`
    : ''
  return htmlPage(
    'Already authenticated',
    `<h1>Nothing left to authenticate</h1><p>This authentication has already been completed or
failed.</p>${link}`
  )
}

function handle(engine: Engine, request: PageRequest): PageReply {
  const type = request.id.startsWith('seti_') ? 'setup_intent' : 'payment_intent'
  const intent = intentForPage(engine, type, request)
  if (!intent) {
    return {
      status: 404,
      html: htmlPage(
        'Link not valid',
        '<h1>This authentication link is not valid</h1><p>Go back to the site you came from ' +
          'and start again.</p>'
      ),
    }
  }
  const pending =
    intent.obj.status === 'requires_action' && intent.obj.next_action?.type === 'redirect_to_url'
  if (request.method === 'GET') {
    return {
      status: pending ? 200 : 409,
      html: pending ? challengePage(engine, intent) : donePage(intent),
    }
  }
  const outcome = request.params.outcome
  if (outcome !== 'succeed' && outcome !== 'fail') {
    return { status: 400, html: challengePage(engine, intent) }
  }
  if (pending) {
    const authenticate = authenticators.get(engine)?.get(type)
    if (!authenticate) {
      return { status: 404, html: htmlPage('Not available', '<h1>Not available</h1>') }
    }
    actAs(engine, intent, () => authenticate(intent, outcome))
  }
  // A second submit (double click) just goes back with the state reached.
  const location = returnLocation(intent)
  return location ? { status: 303, location } : { status: 200, html: donePage(intent) }
}

export function registerThreeDSecurePage(engine: Engine): void {
  registerPage(engine, 'authenticate', handle)
}
