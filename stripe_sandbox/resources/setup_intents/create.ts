import { paramError } from '../../core/errors.js'
import { newId, randomString } from '../../core/ids.js'
import { applyMetadata, hash } from '../../core/params.js'
import { type Obj } from '../../core/types.js'
import { type Engine } from '../../engine.js'
import { findConnected } from '../accounts.js'
import { findCustomer } from '../customers.js'
import { normalizeTypes } from '../payment_intents/params.js'
import { resolvePaymentMethod } from '../payment_methods.js'
import { execute } from './attempt.js'
import { createParams, paymentMethodOptions, prepareSetup } from './prepare.js'

/* POST /v1/setup_intents: a new SetupIntent, confirmed at once with confirm=true. */

export function registerCreate(engine: Engine): void {
  engine.router.add('POST', '/v1/setup_intents', hash(createParams), (ctx) => {
    const params = ctx.params
    normalizeTypes(params)
    if (params.payment_method_types && params.automatic_payment_methods) {
      throw paramError(
        'You may only specify one of these parameters: automatic_payment_methods, ' +
          'payment_method_types.',
        { code: 'parameters_exclusive', param: 'automatic_payment_methods' }
      )
    }
    if (!params.confirm) {
      for (const key of ['return_url', 'payment_method_data', 'mandate_data'] as const) {
        if (params[key]) {
          throw paramError(`You can only pass ${key} when confirm=true.`, { param: key })
        }
      }
    }
    const automatic = params.payment_method_types
      ? null
      : {
          allow_redirects: params.automatic_payment_methods?.allow_redirects ?? 'always',
          enabled: params.automatic_payment_methods?.enabled ?? true,
        }
    const customer = params.customer
      ? findCustomer(engine, ctx.account, params.customer, 'customer')
      : null
    if (params.on_behalf_of) {
      findConnected(ctx, params.on_behalf_of, 'on_behalf_of')
    }
    const pm = params.payment_method
      ? resolvePaymentMethod(ctx, params.payment_method, 'payment_method')
      : null
    const id = newId('seti')
    const obj: Obj = {
      id,
      object: 'setup_intent',
      allowed_payment_method_types: params.payment_method_types ?? null,
      application: null,
      automatic_payment_methods: automatic,
      cancellation_reason: null,
      client_secret: `${id}_secret_${randomString(32)}`,
      created: engine.now(),
      customer: customer?.id ?? null,
      description: params.description ?? null,
      excluded_payment_method_types: params.excluded_payment_method_types ?? null,
      flow_directions: params.flow_directions ?? null,
      last_setup_error: null,
      latest_attempt: null,
      livemode: false,
      mandate: null,
      metadata: applyMetadata({}, params.metadata),
      next_action: null,
      on_behalf_of: params.on_behalf_of ?? null,
      payment_method: pm?.id ?? null,
      payment_method_configuration_details: null,
      payment_method_options: paymentMethodOptions(params, params.payment_method_types ?? null),
      payment_method_types: params.payment_method_types ?? ['card'],
      single_use_mandate: null,
      status: pm ? 'requires_confirmation' : 'requires_payment_method',
      usage: params.usage ?? 'off_session',
    }
    const plan = params.confirm
      ? prepareSetup(ctx, obj, params, null, (message) => {
          throw paramError(message, {
            code: 'setup_intent_unexpected_state',
            param: 'payment_method',
          })
        })
      : null
    const si = engine.create('setup_intent', ctx.account, ctx.platform, obj, {
      returnUrl: params.return_url ?? null,
    })
    engine.emitFor(si, 'setup_intent.created')
    if (plan) {
      execute(engine, si, params, plan)
    }
    return si.obj
  })
}
