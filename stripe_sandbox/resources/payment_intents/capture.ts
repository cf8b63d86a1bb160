import { invalidRequest, paramError } from '../../core/errors.js'
import { applyMetadata, bool, hash, int, meta, str } from '../../core/params.js'
import { type Engine } from '../../engine.js'
import { captureCharge } from '../charges.js'
import { announce } from './card.js'
import { findIntent, renderIntent, stateError } from './shared.js'

/* POST /v1/payment_intents/{id}/capture: takes the money of a card hold (§3.4). */

const captureSpec = hash({
  amount_to_capture: int(1),
  application_fee_amount: int(0),
  final_capture: bool(),
  metadata: meta(),
  statement_descriptor: str(undefined, 22),
  statement_descriptor_suffix: str(undefined, 22),
  transfer_data: hash({ amount: int(1) }),
})

export function registerCapture(engine: Engine): void {
  engine.router.add('POST', '/v1/payment_intents/:id/capture', captureSpec, (ctx) => {
    const pi = findIntent(ctx, ctx.path.id)
    const p = pi.obj
    const params = ctx.params
    if (p.status !== 'requires_capture') {
      throw stateError(
        engine,
        pi,
        `This PaymentIntent could not be captured because it has a status of ${p.status}. ` +
          'Only a PaymentIntent with one of the following statuses may be captured: ' +
          'requires_capture.'
      )
    }
    const amount: number = params.amount_to_capture ?? p.amount_capturable
    if (amount > p.amount_capturable) {
      throw invalidRequest(
        `The amount to capture (${amount}) must be less than or equal to the amount that can ` +
          `be captured (${p.amount_capturable}).`,
        { code: 'amount_too_large', param: 'amount_to_capture' }
      )
    }
    const fee = params.application_fee_amount ?? p.application_fee_amount
    if (params.application_fee_amount !== undefined && !p.transfer_data) {
      throw paramError(
        'Can only apply an application_fee_amount when the PaymentIntent is a destination ' +
          'payment (using `transfer_data[destination]`).',
        { param: 'application_fee_amount' }
      )
    }
    const charge = engine.store.get(p.latest_charge)!
    if (params.transfer_data?.amount !== undefined && p.transfer_data) {
      p.transfer_data.amount = params.transfer_data.amount
      charge.obj.transfer_data.amount = params.transfer_data.amount
    }
    for (const key of ['statement_descriptor', 'statement_descriptor_suffix'] as const) {
      if (key in params) {
        p[key] = params[key]
      }
    }
    p.metadata = applyMetadata(p.metadata, params.metadata)
    const created = captureCharge(engine, charge, amount, fee)
    p.status = 'succeeded'
    p.amount_received = amount
    p.amount_capturable = 0
    p.application_fee_amount = charge.obj.application_fee_amount
    engine.emitFor(charge, 'charge.captured')
    engine.emitFor(pi, 'payment_intent.succeeded')
    announce(engine, created)
    return renderIntent(engine, pi)
  })
}
