/*
|--------------------------------------------------------------------------
| Edge globals
|--------------------------------------------------------------------------
|
| Money is formatted in views through the money module only.
|
*/
import edge from 'edge.js'
import app from '@adonisjs/core/services/app'
import { listComponentsOnce } from '#services/edge_components'
import { formatAmount } from '#money/amounts'
import { formatDate, formatDateTime } from '#services/time_zone'
import { noticesOf } from '#services/notices'
import { TONE_CLASS, nextWords, type Tone } from '#domain/order_summary'
import { devClockNow } from '#services/dev_clock'

// Production compiles each template once; development recompiles on each render by design
if (app.inProduction) {
  listComponentsOnce(edge)
}

edge.global('formatAmount', formatAmount)

/** The badge class of a status's tone (your turn, waiting, done, problem) */
edge.global('toneClass', (tone: Tone) => TONE_CLASS[tone])

/** The sandbox clock's time for the development panel; null in production or with real Stripe */
edge.global('devClockNow', devClockNow)

/** Who acts next, for the viewer ("You", "the contractor") */
edge.global('nextWords', nextWords)

/** The banners of a page: each flash message once, in our words */
edge.global('noticesOf', noticesOf)

/** Times and days in the viewer's time zone (#services/time_zone) */
edge.global('formatDateTime', formatDateTime)
edge.global('formatDate', formatDate)

/**
 * The money bar of an order (where the employer's money went) as SVG
 * rectangles: widths are attributes, so the page needs no inline style
 * (the CSP forbids them). Out of 1000 units of what was paid: what each
 * contractor kept, Stripe's fee when the contractors' shares bore it
 * (STRIPE_FEE_PASSTHROUGH), the platform's fee kept, what is held for work
 * not yet approved, and what was refunded.
 */
edge.global(
  'moneyBarParts',
  (breakdown: {
    paid: number
    refunded: number
    platformFee: number
    platformGaveBack: number
    stripeFeePassedOn: number
    held: number
    contractors: { kept: number }[]
  }) => {
    const platform = Math.max(0, breakdown.platformFee - breakdown.platformGaveBack)
    const shown =
      breakdown.contractors.reduce((sum, share) => sum + Math.max(0, share.kept), 0) +
      breakdown.stripeFeePassedOn +
      platform +
      breakdown.held +
      breakdown.refunded
    const whole = Math.max(breakdown.paid, shown, 1)
    const parts: { kind: string; x: number; width: number }[] = []
    let x = 0
    const add = (kind: string, amount: number) => {
      const width = Math.round((Math.max(0, amount) * 1000) / whole)
      if (width > 0) {
        parts.push({ kind, x, width })
        x += width
      }
    }
    for (const share of breakdown.contractors) {
      add('contractor', share.kept)
    }
    add('processor', breakdown.stripeFeePassedOn)
    add('platform', platform)
    add('held', breakdown.held)
    add('refunded', breakdown.refunded)
    return parts
  }
)
