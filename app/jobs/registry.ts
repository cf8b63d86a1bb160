import applyStripeEvent from '#jobs/apply_stripe_event'
import sendNotification from '#jobs/send_notification'
import settleHolds from '#jobs/settle_holds'
import reconcile from '#jobs/reconcile'
import provisionStripeIdentity from '#jobs/provision_stripe_identity'
import ensureStripeCustomers from '#jobs/ensure_stripe_customers'
import settleLines from '#jobs/settle_lines'
import sendPendingWrites from '#jobs/send_pending_writes'
import approvalReminders from '#jobs/approval_reminders'
import followBankPayments from '#jobs/follow_bank_payments'
import remindOverdueRequests from '#jobs/remind_overdue_requests'

/**
 * Every job the workers run, by name (= pg-boss queue). A new job: one file
 * under app/jobs/ (see job.ts), one line here.
 */
export const jobRegistry = {
  apply_stripe_event: applyStripeEvent,
  send_notification: sendNotification,
  settle_holds: settleHolds,
  reconcile,
  provision_stripe_identity: provisionStripeIdentity,
  ensure_stripe_customers: ensureStripeCustomers,
  settle_lines: settleLines,
  send_pending_writes: sendPendingWrites,
  approval_reminders: approvalReminders,
  follow_bank_payments: followBankPayments,
  remind_overdue_requests: remindOverdueRequests,
}

export type JobName = keyof typeof jobRegistry
export type JobData<Name extends JobName> = Parameters<(typeof jobRegistry)[Name]['handle']>[0]

export const jobs = Object.values(jobRegistry)

for (const [name, job] of Object.entries(jobRegistry)) {
  if (job.name !== name) {
    throw new Error(`Job ${job.name} is registered as ${name}`)
  }
}

export function jobNamed(name: string) {
  const job = jobRegistry[name as JobName]
  if (!job) {
    throw new Error(`Unknown job: ${name}`)
  }
  return job
}
