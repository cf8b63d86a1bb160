import type { HttpContext } from '@adonisjs/core/http'
import vine from '@vinejs/vine'
import { DomainError } from '#exceptions/domain_error'
import { advanceDevClock, CLOCK_STEPS, type ClockStep } from '#actions/dev/advance_clock'
import { devClockAvailable } from '#services/dev_clock'

const advanceValidator = vine.create({
  by: vine.enum(Object.keys(CLOCK_STEPS) as ClockStep[]),
})

const STEP_WORDS: Record<ClockStep, string> = { hour: 'an hour', day: 'a day', week: 'a week' }

/** POST /dev/clock (sandbox mode, never in production; 404 otherwise) */
export default class DevClockController {
  async advance({ auth, request, response, session }: HttpContext) {
    if (!devClockAvailable()) {
      throw DomainError.notFound('Not found.')
    }
    const { by } = await request.validateUsing(advanceValidator)
    const result = await advanceDevClock(by, `dev_clock:user:${auth.getUserOrFail().id}`)
    const done = [
      result.bankPaymentsFollowed
        ? `${result.bankPaymentsFollowed} bank payment(s) followed`
        : null,
      result.holdsSettled ? `${result.holdsSettled} hold(s) settled` : null,
      result.linesSettled ? `${result.linesSettled} line(s) settled` : null,
      result.eventsApplied ? `${result.eventsApplied} webhook event(s) applied` : null,
    ].filter(Boolean)
    session.flash(
      'success',
      `Sandbox clock moved forward by ${STEP_WORDS[by]}: it is now ` +
        `${result.now.toUTC().toFormat("ccc LLL d, HH:mm 'UTC'")}. ` +
        (done.length ? `${done.join(', ')}.` : 'Nothing else was due.')
    )
    return response.redirect().back()
  }
}
