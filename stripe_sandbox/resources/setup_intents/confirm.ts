import { type Context } from '../../core/context.js'
import { hash, str } from '../../core/params.js'
import { type Engine } from '../../engine.js'
import { registerAuthenticator } from '../../three_d_secure.js'
import { registerVerifier } from '../microdeposit_page.js'
import { verifySpec } from '../microdeposits.js'
import { authenticate, execute, verify } from './attempt.js'
import { CONFIRMABLE, confirmParams, prepareSetup, stateError } from './prepare.js'

/*
 * Confirming a SetupIntent, and completing what a confirmation started:
 * microdeposit verification and (test helper) the 3D Secure challenge.
 */

export function findSetupIntent(ctx: Context, id: string) {
  return ctx.engine.find(ctx, 'setup_intent', id, 'setup_intent')
}

export function registerConfirm(engine: Engine): void {
  registerAuthenticator(engine, 'setup_intent', (si, outcome) => authenticate(engine, si, outcome))
  registerVerifier(engine, 'setup_intent', (si, params) => verify(engine, si, params))

  engine.router.add('POST', '/v1/setup_intents/:id/confirm', hash(confirmParams), (ctx) => {
    const si = findSetupIntent(ctx, ctx.path.id)
    const s = si.obj
    if (!CONFIRMABLE.includes(s.status)) {
      throw stateError(
        si,
        `You cannot confirm this SetupIntent because it has a status of ${s.status}.`
      )
    }
    const plan = prepareSetup(ctx, s, ctx.params, si.x.returnUrl ?? null, (message) => {
      throw stateError(si, message)
    })
    execute(engine, si, ctx.params, plan)
    return si.obj
  })

  engine.router.add(
    'POST',
    '/v1/setup_intents/:id/verify_microdeposits',
    hash({ ...verifySpec.props, client_secret: str() }),
    (ctx) => {
      const si = findSetupIntent(ctx, ctx.path.id)
      verify(engine, si, ctx.params)
      return si.obj
    }
  )

  // Test helper: complete or fail the 3DS challenge of a requires_action SetupIntent.
  engine.router.add(
    'POST',
    '/v1/test_helpers/sandbox/setup_intents/:id/authenticate',
    hash({ outcome: str(['succeed', 'fail']) }),
    (ctx) => {
      const si = findSetupIntent(ctx, ctx.path.id)
      authenticate(engine, si, ctx.params.outcome === 'fail' ? 'fail' : 'succeed')
      return si.obj
    }
  )
}
