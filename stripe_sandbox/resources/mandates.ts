import { type Context } from '../core/context.js'
import { previousAttributes, snapshot } from '../core/diff.js'
import { invalidRequest } from '../core/errors.js'
import { newId } from '../core/ids.js'
import { hash } from '../core/params.js'
import { type Rec } from '../core/store.js'
import { type Obj, type Params } from '../core/types.js'
import { type Engine } from '../engine.js'

/*
 * Mandates: the customer's authorisation to debit their bank account,
 * created when an ACH SetupIntent or PaymentIntent is confirmed with
 * `mandate_data`. `pending` until the account is verified, then `active`;
 * `inactive` when verification fails. A multi-use mandate stays with the
 * PaymentMethod, so later off-session debits need no new one.
 */

export type MandateStatus = 'pending' | 'active' | 'inactive'

export interface MandateInput {
  paymentMethod: Rec
  /** the validated `mandate_data` parameter */
  data: Params
  /** multi_use for SetupIntents and setup_future_usage; single_use otherwise */
  singleUse: { amount: number; currency: string } | null
  status: MandateStatus
}

export const MANDATE_REQUIRED_MESSAGE =
  'A mandate is required to debit a us_bank_account PaymentMethod: confirm with ' +
  'mandate_data[customer_acceptance] (type online, with ip_address and user_agent), or with ' +
  'the id of an active mandate of this PaymentMethod as `mandate`.'

export function createMandate(engine: Engine, intent: Rec, input: MandateInput): Rec {
  const acceptance = input.data.customer_acceptance
  const customerAcceptance: Obj = {
    accepted_at: acceptance.accepted_at ?? engine.now(),
    type: acceptance.type,
  }
  if (acceptance.type === 'online') {
    customerAcceptance.online = {
      ip_address: acceptance.online?.ip_address ?? null,
      user_agent: acceptance.online?.user_agent ?? null,
    }
  } else {
    customerAcceptance.offline = {}
  }
  const obj: Obj = {
    id: newId('mandate'),
    object: 'mandate',
    customer_acceptance: customerAcceptance,
    livemode: false,
    payment_method: input.paymentMethod.id,
    payment_method_details: { type: 'us_bank_account', us_bank_account: {} },
    status: input.status,
    type: input.singleUse ? 'single_use' : 'multi_use',
  }
  if (input.singleUse) {
    obj.single_use = input.singleUse
  } else {
    obj.multi_use = {}
  }
  return engine.create('mandate', intent.acct, intent.plat, obj)
}

/** Moves a mandate to `active` or `inactive`, with `mandate.updated`. */
export function setMandateStatus(engine: Engine, mandateId: string | null, status: MandateStatus) {
  const mandate = mandateId ? engine.store.get(mandateId) : undefined
  if (!mandate || mandate.obj.status === status) {
    return
  }
  const before = snapshot(mandate.obj)
  mandate.obj.status = status
  engine.emitFor(mandate, 'mandate.updated', previousAttributes(before, mandate.obj))
}

/** The active multi-use mandate a PaymentMethod already carries, if any. */
export function activeMandateOf(engine: Engine, pm: Rec): Rec | undefined {
  const mandate = pm.x.mandate ? engine.store.get(pm.x.mandate) : undefined
  return mandate?.obj.status === 'active' ? mandate : undefined
}

/** A `mandate` parameter must name an active mandate of that PaymentMethod. */
export function findUsableMandate(ctx: Context, id: string, pm: Rec): Rec {
  const mandate = ctx.engine.store.get(id)
  if (!mandate || mandate.type !== 'mandate' || mandate.acct !== ctx.account) {
    throw invalidRequest(`No such mandate: '${id}'`, { code: 'resource_missing', param: 'mandate' })
  }
  if (mandate.obj.payment_method !== pm.id || mandate.obj.status !== 'active') {
    throw invalidRequest(
      `The mandate ${id} is not an active mandate of the PaymentMethod ${pm.id}.`,
      { param: 'mandate' }
    )
  }
  return mandate
}

export function registerMandates(engine: Engine): void {
  engine.router.add(
    'GET',
    '/v1/mandates/:id',
    hash({}),
    (ctx) => engine.find(ctx, 'mandate', ctx.path.id, 'mandate').obj
  )
}
