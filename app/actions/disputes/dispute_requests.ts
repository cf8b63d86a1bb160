import { DateTime } from 'luxon'
import type Stripe from 'stripe'
import Dispute, {
  CLOSED_DISPUTE_STATUSES,
  DISPUTE_REQUESTS,
  type DisputeRequest,
} from '#models/dispute'
import DisputeAction, {
  DISPUTE_ACTION_STATES,
  type EvidenceFields,
  type EvidenceFile,
} from '#models/dispute_action'
import Payment from '#models/payment'
import { DomainError } from '#exceptions/domain_error'
import { actors } from '#domain/actor'
import { recordPaymentEvent } from '#services/payment_events'
import { businessNow } from '#services/clock'
import { adminZone, daysLeft, formatForAdmin } from '#services/admin_time'
import { stripe } from '#stripe/client'
import { idempotencyKey } from '#stripe/idempotency'
import { isStripeError, type DescribedStripeError } from '#stripe/errors'
import { sendToStripe, type StripeWrite } from '#stripe/write'
import { lockForPayer } from '#actions/orders/order_lock'
import { FAILURE_MESSAGE_LENGTH } from '#actions/refunds/refund_records'
import { followDispute, recordDispute } from '#actions/disputes/record_dispute'
import { driveDispute, withDisputeLock } from '#actions/disputes/drive_dispute'
import { uploadEvidenceFiles, type CheckedFile } from '#actions/disputes/evidence_files'

/*
|--------------------------------------------------------------------------
| What an admin sends Stripe about a dispute: evidence, or acceptance
|--------------------------------------------------------------------------
|
| 1. Refused up front when the dispute's status does not take it
|    (DISPUTE_REQUESTS) or the evidence is past its due date (on Stripe's
|    clock): nothing is uploaded or sent.
| 2. Evidence files are uploaded (purpose dispute_evidence).
| 3. Under the order's lock the request is written as a `dispute_actions`
|    row, pending (one at a time per dispute), and committed.
| 4. It is sent with the key "dispute_action:<id>:<uuid>:update|close";
|    Stripe's answer is recorded with the dispute (its status moves through
|    the same recorder as the webhooks). No answer: the row stays pending
|    and the send_pending_writes job or a re-run sends it again.
|
*/

/** Text evidence: Stripe's longest field (uncategorized_text) takes 20,000 characters */
export const MAX_EVIDENCE_TEXT = 20_000

function describeEvidence(evidence: EvidenceFields | null) {
  if (!evidence) {
    return 'the evidence staged earlier'
  }
  const parts = Object.entries(evidence).map(([field, value]) =>
    typeof value === 'string'
      ? `${field} (${value.length} characters)`
      : `${field} (${value.name}, ${Math.ceil(value.size / 1024)} KB)`
  )
  return parts.length ? parts.join(', ') : 'the evidence staged earlier'
}

/** Our evidence as Stripe's parameters: text as is, files by their id */
function stripeEvidence(evidence: EvidenceFields | null) {
  const params: Record<string, string> = {}
  for (const [field, value] of Object.entries(evidence ?? {})) {
    params[field] = typeof value === 'string' ? value : value.id
  }
  return params as Stripe.DisputeUpdateParams.Evidence
}

/** Stripe's refusal in words an admin can act on */
export function disputeRefusal(error: DescribedStripeError, cause: unknown) {
  const raw = isStripeError(cause) ? cause.message : ''
  if (/already closed/i.test(raw)) {
    return 'Stripe says this dispute is already closed: nothing more can be sent to the bank.'
  }
  if (/under review/i.test(raw)) {
    return 'The evidence of this dispute was already submitted and the bank is reviewing it: nothing more can be sent.'
  }
  if (error.code === 'dispute_evidence_page_limit_exceeded' || error.isCardError || !raw) {
    return error.message
  }
  return `Stripe refused: ${raw}`
}

async function disputeOf(action: DisputeAction, client?: { client: any }) {
  return Dispute.findOrFail(action.disputeId, client)
}

export const sendDisputeAction: StripeWrite<DisputeAction, Stripe.Dispute> = {
  operation: 'dispute_action',
  label: (action) => `dispute action #${action.id} (${action.kind})`,
  key: (action) =>
    idempotencyKey('dispute_action', action, action.kind === 'accept' ? 'close' : 'update'),
  async send(action, key) {
    const dispute = await disputeOf(action)
    if (action.kind === 'accept') {
      return stripe().disputes.close(dispute.stripeDisputeId, {}, { idempotencyKey: key })
    }
    return stripe().disputes.update(
      dispute.stripeDisputeId,
      {
        ...(action.evidence && Object.keys(action.evidence).length
          ? { evidence: stripeEvidence(action.evidence) }
          : {}),
        submit: action.submit,
        metadata: { crewpay_dispute: String(dispute.id) },
      },
      { idempotencyKey: key }
    )
  },
  /** An answer lost: Stripe's dispute shows whether the request went through */
  async find(action) {
    const dispute = await disputeOf(action)
    const current = await stripe().disputes.retrieve(dispute.stripeDisputeId)
    if (action.kind === 'accept') {
      return CLOSED_DISPUTE_STATUSES.includes(current.status as never) ? current : null
    }
    // Staging again changes nothing; a submission shows in Stripe's count
    const submitted =
      (current.evidence_details?.submission_count ?? 0) > dispute.evidenceSubmissionCount
    return action.submit && submitted ? current : null
  },
  async lock(trx, action) {
    const dispute = await disputeOf(action, { client: trx })
    await lockForPayer(trx, dispute)
    const row = await DisputeAction.query({ client: trx })
      .where('id', action.id)
      .forUpdate()
      .first()
    return row?.status === 'pending' ? row : null
  },
  async record(trx, action, answer) {
    action.useTransaction(trx)
    action.merge({
      status: DISPUTE_ACTION_STATES.reach(action.status, 'succeeded', 'stripe'),
      failureMessage: null,
    })
    await action.save()
    const dispute = await Dispute.query({ client: trx })
      .where('id', action.disputeId)
      .forUpdate()
      .firstOrFail()
    dispute.useTransaction(trx)
    // A submission Stripe's webhook already showed is not audited twice
    let audited = true
    if (action.kind === 'evidence') {
      const count = answer.evidence_details?.submission_count ?? dispute.evidenceSubmissionCount
      audited = !action.submit || count > dispute.evidenceSubmissionCount
      dispute.merge({
        hasEvidence: true,
        ...(action.submit
          ? {
              evidenceSubmissionCount: Math.max(dispute.evidenceSubmissionCount, count),
              evidenceSubmittedAt: dispute.evidenceSubmittedAt ?? DateTime.now(),
            }
          : {}),
      })
      await dispute.save()
    }
    if (audited) {
      await recordPaymentEvent(trx, {
        orderId: dispute.orderId,
        paymentRequestId: dispute.paymentRequestId,
        paymentId: dispute.paymentId,
        disputeId: dispute.id,
        actor: action.initiatedBy,
        type:
          action.kind === 'accept'
            ? 'dispute.accepted'
            : action.submit
              ? 'dispute.evidence_submitted'
              : 'dispute.evidence_staged',
        stripeId: dispute.stripeDisputeId,
        message:
          action.kind === 'accept'
            ? 'Accepted: the dispute is lost for good'
            : describeEvidence(action.evidence),
      })
    }
    const payment = await Payment.query({ client: trx })
      .where('id', dispute.paymentId)
      .forUpdate()
      .firstOrFail()
    await recordDispute(trx, payment, answer, actors.stripe(action.initiatedBy))
  },
  async refuse(trx, action, error, cause) {
    const message = disputeRefusal(error, cause)
    action.useTransaction(trx)
    action.merge({
      status: DISPUTE_ACTION_STATES.reach(action.status, 'failed', 'stripe'),
      failureMessage: message.slice(0, FAILURE_MESSAGE_LENGTH),
    })
    await action.save()
    const dispute = await disputeOf(action, { client: trx })
    await recordPaymentEvent(trx, {
      orderId: dispute.orderId,
      paymentRequestId: dispute.paymentRequestId,
      paymentId: dispute.paymentId,
      disputeId: dispute.id,
      actor: action.initiatedBy,
      type: 'dispute.request_refused',
      stripeId: dispute.stripeDisputeId,
      message: `${action.kind === 'accept' ? 'Accepting' : 'Evidence'}: ${message}`,
    })
  },
}

/**
 * Refuses, before anything is uploaded or sent, a request the dispute does
 * not take now: the wrong status, or evidence past its due date (Stripe's
 * clock)
 */
export async function assertRequestAllowed(dispute: Dispute, request: DisputeRequest) {
  const label = `dispute #${dispute.id}`
  DISPUTE_REQUESTS.next(dispute.status, request, 'admin', label)
  if (request !== 'accept' && dispute.dueBy) {
    const now = await businessNow()
    if (dispute.dueBy < now) {
      const zone = adminZone()
      throw DomainError.conflict(
        `The evidence for ${label} was due by ${formatForAdmin(dispute.dueBy, zone)} ` +
          `(${daysLeft(dispute.dueBy, now)}): it can no longer be sent, and Stripe closes an ` +
          'unanswered dispute as lost. Nothing was uploaded or sent.'
      )
    }
  }
}

export interface EvidenceInput {
  text?: string | null
  files?: CheckedFile[]
  submit: boolean
  actor: string
}

export interface DisputeRequestResult {
  action: DisputeAction
  dispute: Dispute
  /** A request left pending by an earlier run was completed (rather than a new one made) */
  resumed: boolean
}

function sameEvidence(action: DisputeAction, input: EvidenceInput) {
  const fields = action.evidence ?? {}
  const text = fields.uncategorized_text
  const files = Object.entries(fields).filter(([, value]) => typeof value !== 'string')
  const given = input.files ?? []
  return (
    action.kind === 'evidence' &&
    action.submit === input.submit &&
    (text ?? null) === (input.text ?? null) &&
    files.length === given.length &&
    given.every((file) => (fields[file.field] as EvidenceFile | undefined)?.name === file.name)
  )
}

/** Sends a written request and reports Stripe's answer (see the top of the file) */
async function send(action: DisputeAction, resumed: boolean): Promise<DisputeRequestResult> {
  const outcome = await sendToStripe(sendDisputeAction, action, {
    lookFirst: resumed,
    writtenAt: action.createdAt,
  })
  const row = await DisputeAction.findOrFail(action.id)
  if (outcome.kind === 'unknown') {
    throw DomainError.unavailable(
      `Stripe did not answer: request #${row.id} stays pending. Run the same command again to ` +
        'complete it (it reuses the same idempotency key); the send_pending_writes job also sends it.'
    )
  }
  if (row.status === 'failed') {
    // Stripe knows better (a dispute closed meanwhile): the dispute follows it
    const dispute = await Dispute.findOrFail(row.disputeId)
    await followDispute(dispute.stripeDisputeId, actors.stripe(row.initiatedBy)).catch(() => null)
    throw DomainError.conflict(`${row.failureMessage ?? 'Stripe refused it.'} Nothing was sent.`)
  }
  await driveDispute(row.disputeId)
  return { action: row, dispute: await Dispute.findOrFail(row.disputeId), resumed }
}

/** The request an earlier run left pending on this dispute, if any */
export function pendingActionOf(dispute: Dispute) {
  return DisputeAction.query().where('disputeId', dispute.id).where('status', 'pending').first()
}

async function writeAction(
  dispute: Dispute,
  request: DisputeRequest,
  fields: Partial<DisputeAction>,
  actor: string
) {
  return withDisputeLock(dispute.id, async (trx, locked) => {
    DISPUTE_REQUESTS.next(locked.status, request, 'admin', `dispute #${locked.id}`)
    const pending = await DisputeAction.query({ client: trx })
      .where('disputeId', locked.id)
      .where('status', 'pending')
      .first()
    if (pending) {
      throw DomainError.conflict(
        `Request #${pending.id} on dispute #${locked.id} (${pending.kind}) is still pending: ` +
          'run the command again to complete it first.'
      )
    }
    const action = await DisputeAction.create(
      { disputeId: locked.id, status: 'pending', initiatedBy: actor, ...fields },
      { client: trx }
    )
    await recordPaymentEvent(trx, {
      orderId: locked.orderId,
      paymentRequestId: locked.paymentRequestId,
      paymentId: locked.paymentId,
      disputeId: locked.id,
      actor,
      type: `dispute.${request}_requested`,
      stripeId: locked.stripeDisputeId,
      message: action.kind === 'evidence' ? describeEvidence(action.evidence) : null,
    })
    return action
  })
}

/**
 * Sends evidence for a dispute (staged, or submitted with `submit`). A
 * request an earlier run left pending is completed first: the same request
 * is then done; another one is refused until it is.
 */
export async function sendEvidence(
  disputeId: number,
  input: EvidenceInput
): Promise<DisputeRequestResult> {
  const dispute = await Dispute.findOrFail(disputeId)
  const earlier = await pendingActionOf(dispute)
  if (earlier) {
    const result = await send(earlier, true)
    if (sameEvidence(earlier, input)) {
      return result
    }
    throw DomainError.conflict(
      `Request #${earlier.id} of an earlier run (${describeEvidence(earlier.evidence)}) was ` +
        'completed first: run the command again to send this one.'
    )
  }
  const request: DisputeRequest = input.submit ? 'submit' : 'stage'
  await assertRequestAllowed(dispute, request)
  const text = input.text?.trim() || null
  const files = input.files ?? []
  if (!text && files.length === 0 && !(input.submit && dispute.hasEvidence)) {
    throw DomainError.invalid(
      input.submit
        ? 'There is no evidence to submit: give --text or --file.'
        : 'Give the evidence: --text and/or --file (and --submit to send it to the bank).'
    )
  }
  if (text && text.length > MAX_EVIDENCE_TEXT) {
    throw DomainError.invalid(
      `The text is ${text.length} characters: Stripe takes at most ${MAX_EVIDENCE_TEXT}.`
    )
  }
  const evidence: EvidenceFields = {
    ...(text ? { uncategorized_text: text } : {}),
    ...(await uploadEvidenceFiles(dispute, files)),
  }
  const action = await writeAction(
    dispute,
    request,
    { kind: 'evidence', submit: input.submit, evidence },
    input.actor
  )
  return send(action, false)
}

/** Accepts a dispute: a chargeback is lost for good, an inquiry closed */
export async function acceptDispute(disputeId: number, actor: string) {
  const dispute = await Dispute.findOrFail(disputeId)
  const earlier = await pendingActionOf(dispute)
  if (earlier) {
    const result = await send(earlier, true)
    if (earlier.kind === 'accept') {
      return result
    }
    throw DomainError.conflict(
      `Request #${earlier.id} of an earlier run (evidence) was completed first: run the command again to accept.`
    )
  }
  await assertRequestAllowed(dispute, 'accept')
  const action = await writeAction(
    dispute,
    'accept',
    { kind: 'accept', submit: false, evidence: null },
    actor
  )
  return send(action, false)
}

/** Requests left pending (a crash, no answer), sent again with their own keys (the job) */
export async function sendPendingDisputeActions(before: Date) {
  const pending = await DisputeAction.query()
    .where('status', 'pending')
    .where('updatedAt', '<', before)
    .orderBy('id')
  for (const action of pending) {
    const outcome = await sendToStripe(sendDisputeAction, action, {
      lookFirst: true,
      writtenAt: action.createdAt,
    })
    if (outcome.kind === 'recorded') {
      await driveDispute(action.disputeId)
    }
  }
  return pending.length
}
