import { StripeError } from '../core/errors.js'
import { type Rec } from '../core/store.js'
import { type Params } from '../core/types.js'
import { type Engine } from '../engine.js'
import {
  actAs,
  escapeHtml,
  htmlPage,
  intentForPage,
  type PageReply,
  type PageRequest,
  registerPage,
} from '../hosted_pages.js'
import { formatAmount } from '../money.js'

/*
 * The hosted microdeposit verification page (`next_action.
 * verify_with_microdeposits.hosted_verification_url`): the customer types
 * the descriptor code from their bank statement and the intent is
 * verified exactly as by POST …/verify_microdeposits.
 */

type Verifier = (intent: Rec, params: Params) => void

const verifiers = new WeakMap<Engine, Map<string, Verifier>>()

export function registerVerifier(engine: Engine, type: string, fn: Verifier): void {
  let map = verifiers.get(engine)
  if (!map) {
    map = new Map()
    verifiers.set(engine, map)
  }
  map.set(type, fn)
}

function form(intent: Rec, error: string | null): string {
  const o = intent.obj
  const what =
    intent.type === 'payment_intent'
      ? `<p>Payment: <strong>${escapeHtml(formatAmount(o.amount, o.currency))}</strong></p>`
      : ''
  const alert = error ? `<p class="error" role="alert">${escapeHtml(error)}</p>` : ''
  return htmlPage(
    'Verify your bank account',
    `<h1>Verify your bank account</h1>
<p class="note">Stripe sandbox test page. Stripe sent a deposit of $0.01 to your bank account; its
statement description starts with SM followed by a 4-character code. In the sandbox, SM11AA
verifies.</p>
${what}${alert}
<form method="post" action="/sandbox/microdeposits/${escapeHtml(intent.id)}">
<input type="hidden" name="client_secret" value="${escapeHtml(o.client_secret)}">
<label for="descriptor_code">6-character code (SM followed by 4 characters)</label>
<input id="descriptor_code" name="descriptor_code" autocomplete="off" maxlength="6"
 pattern="[Ss][Mm][A-Za-z0-9]{4}" required aria-describedby="code-help">
<p id="code-help" class="note">Example: SM11AA</p>
<button type="submit" class="primary">Verify</button>
</form>`
  )
}

function result(title: string, text: string): string {
  return htmlPage(title, `<h1>${escapeHtml(title)}</h1><p>${escapeHtml(text)}</p>`)
}

function handle(engine: Engine, request: PageRequest): PageReply {
  const type = request.id.startsWith('seti_') ? 'setup_intent' : 'payment_intent'
  const intent = intentForPage(engine, type, request)
  const verify = verifiers.get(engine)?.get(type)
  if (!intent || !verify) {
    return {
      status: 404,
      html: result('This verification link is not valid', 'Go back to the site you came from.'),
    }
  }
  const waiting =
    intent.obj.status === 'requires_action' &&
    intent.obj.next_action?.type === 'verify_with_microdeposits'
  if (!waiting) {
    return {
      status: 409,
      html: result(
        'Nothing to verify',
        'This bank account has already been verified, or the verification has ended.'
      ),
    }
  }
  if (request.method === 'GET') {
    return { status: 200, html: form(intent, null) }
  }
  const code = (request.params.descriptor_code ?? '').trim()
  if (!/^SM[A-Z0-9]{4}$/i.test(code)) {
    return { status: 422, html: form(intent, 'Enter the 6-character code, starting with SM.') }
  }
  try {
    actAs(engine, intent, () => verify(intent, { descriptor_code: code }))
  } catch (error) {
    if (!(error instanceof StripeError)) {
      throw error
    }
    const failed = intent.obj.status === 'requires_payment_method'
    return failed
      ? { status: 422, html: result('Verification failed', error.body.message) }
      : { status: 422, html: form(intent, error.body.message) }
  }
  return {
    status: 200,
    html: result('Bank account verified', 'Thank you. You can close this page.'),
  }
}

export function registerMicrodepositPage(engine: Engine): void {
  registerPage(engine, 'microdeposits', handle)
}
