import { paramError } from '../core/errors.js'
import { hash, int } from '../core/params.js'
import { type Obj } from '../core/types.js'
import { type Engine } from '../engine.js'
import { overrideSettings, type SandboxSettings, settingsOf } from '../settings.js'

/*
 * Sandbox-only controls. The clock only moves forward; everything that
 * became due (hold expiry, funds availability, verifications, ACH debits,
 * payouts) runs in time order before the response. Settings apply to the
 * calling platform (API key) only.
 */

const MAX_ACH_DAYS = 30
const MAX_DELAY = 30 * 24 * 60 * 60

function limited(value: number, max: number, param: string): number {
  if (value > max) {
    throw paramError(`This value must be less than or equal to ${max}.`, {
      code: 'parameter_invalid_integer',
      param,
    })
  }
  return value
}

function renderSettings(settings: SandboxSettings): Obj {
  return {
    object: 'sandbox_settings',
    ach_processing_days: settings.achProcessingDays,
    verification_delay_seconds: settings.verificationDelaySeconds,
  }
}

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

  engine.router.add('GET', '/v1/test_helpers/sandbox/settings', hash({}), (ctx) =>
    renderSettings(settingsOf(engine, ctx.platform))
  )

  engine.router.add(
    'POST',
    '/v1/test_helpers/sandbox/settings',
    hash({ ach_processing_days: int(0), verification_delay_seconds: int(0) }),
    (ctx) => {
      const overrides: Partial<SandboxSettings> = {}
      const days: number | null | undefined = ctx.params.ach_processing_days
      const delay: number | null | undefined = ctx.params.verification_delay_seconds
      if (days !== undefined && days !== null) {
        overrides.achProcessingDays = limited(days, MAX_ACH_DAYS, 'ach_processing_days')
      }
      if (delay !== undefined && delay !== null) {
        overrides.verificationDelaySeconds = limited(delay, MAX_DELAY, 'verification_delay_seconds')
      }
      return renderSettings(overrideSettings(engine, ctx.platform, overrides))
    }
  )
}
