import { hash, int } from '../core/params.js'
import { type Engine } from '../engine.js'

/*
 * Sandbox-only controls. The clock only moves forward; everything that
 * became due (hold expiry, funds availability, verifications, payouts) runs
 * in time order before the response.
 */
export function registerTestHelpers(engine: Engine): void {
  engine.router.add(
    'POST',
    '/v1/test_helpers/sandbox/advance_clock',
    hash({ seconds: int(0) }, ['seconds']),
    (ctx) => {
      const seconds: number = ctx.params.seconds
      const now = engine.advanceClock(seconds)
      return { object: 'test_clock_advance', advanced_by: seconds, now }
    }
  )

  engine.router.add('GET', '/v1/test_helpers/sandbox/clock', hash({}), () => ({
    object: 'sandbox_clock',
    now: engine.now(),
    offset: engine.clock.offset,
  }))
}
