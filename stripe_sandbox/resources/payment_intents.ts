import { type Engine } from '../engine.js'
import { registerThreeDSecurePage } from '../three_d_secure.js'
import { registerAchPayments } from './ach_payments.js'
import { registerMicrodepositPage } from './microdeposit_page.js'
import { registerMicrodeposits } from './microdeposits.js'
import { registerAuthenticate } from './payment_intents/authenticate.js'
import { registerVerifyMicrodeposits } from './payment_intents/bank_debit.js'
import { registerCancel } from './payment_intents/cancel.js'
import { registerCapture } from './payment_intents/capture.js'
import { registerConfirm } from './payment_intents/confirm.js'
import { registerCreate } from './payment_intents/create.js'
import { registerRead } from './payment_intents/read.js'
import { registerUpdate } from './payment_intents/update.js'

/*
 * PaymentIntents: the state machine (requires_payment_method →
 * requires_confirmation → requires_action → processing / requires_capture →
 * succeeded, or canceled), card and ACH outcomes, manual capture and hold
 * expiry. Each operation lives in its own file under payment_intents/.
 */

export { assertReturnUrl, normalizeTypes } from './payment_intents/params.js'

export function registerPaymentIntents(engine: Engine): void {
  engine.setIndexer('payment_intent', (rec) =>
    rec.obj.customer ? [`customer=${rec.obj.customer}`] : []
  )
  registerCreate(engine)
  registerRead(engine)
  registerUpdate(engine)
  registerConfirm(engine)
  registerCapture(engine)
  registerCancel(engine)
  registerVerifyMicrodeposits(engine)
  registerAuthenticate(engine)
  // ACH debits and the pages a customer's browser is sent to.
  registerAchPayments(engine)
  registerMicrodeposits(engine)
  registerMicrodepositPage(engine)
  registerThreeDSecurePage(engine)
}
