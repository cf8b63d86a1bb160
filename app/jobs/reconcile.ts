import env from '#start/env'
import logger from '@adonisjs/core/services/logger'
import { defineJob } from '#jobs/job'

/**
 * `node ace stripe:reconcile`, every 15 minutes: a report in the logs (and
 * `jobs:status`), fixes only with RECONCILE_AUTOFIX=true (the same fixes as
 * `--fix`: forward only, nothing new sent to Stripe).
 */
export default defineJob({
  name: 'reconcile',
  description: 'Compare orders, refunds and debits with Stripe (stripe:reconcile)',
  queue: { retryLimit: 1, retryDelay: 120, expireInSeconds: 30 * 60 },
  schedule: '*/15 * * * *',
  async handle() {
    const { reconcile } = await import('#actions/reconcile/reconcile')
    const fix = env.get('RECONCILE_AUTOFIX', false)
    const report = await reconcile({ fix, actor: 'job:reconcile' })
    const left = report.drifts.filter((drift) => !drift.fixed)
    const summary = {
      checked: report.checked,
      drifts: report.drifts.length,
      fixed: report.drifts.length - left.length,
    }
    if (left.length === 0) {
      logger.info(summary, 'Reconcile: nothing out of line')
      return
    }
    logger.warn(
      { ...summary, left: left.map(({ subject, problem }) => ({ subject, problem })) },
      `Reconcile: ${left.length} drift(s) ${fix ? 'left' : 'found (report only)'}`
    )
  },
})
