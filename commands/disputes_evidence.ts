import { args, flags } from '@adonisjs/core/ace'
import type { CommandOptions } from '@adonisjs/core/types/ace'
import { NEEDS_RESPONSE_STATUSES } from '#models/dispute'
import { DomainError } from '#exceptions/domain_error'
import { ConsoleCommand } from '#services/console_command'
import { adminZone, daysLeft, formatForAdmin } from '#services/admin_time'
import { businessNow } from '#services/clock'
import { freeTextMessage, freeTextProblem } from '#validators/text'
import { formatAmount } from '#money/amounts'
import { disputeStatusLabel } from '#domain/dispute_words'
import { findDisputeArg } from '#actions/disputes/dispute_details'
import { checkEvidenceFiles, EVIDENCE_FILE_FIELDS } from '#actions/disputes/evidence_files'
import {
  MAX_EVIDENCE_TEXT,
  assertRequestAllowed,
  pendingActionOf,
  sendEvidence,
} from '#actions/disputes/dispute_requests'

/**
 * Sends evidence for a dispute to Stripe: staged (kept on Stripe, not sent
 * to the bank yet), or submitted to the bank with --submit (final: evidence
 * cannot be changed after). The request is written before Stripe is called
 * and its key comes from that row.
 */
export default class DisputesEvidence extends ConsoleCommand {
  static commandName = 'disputes:evidence'
  static description = 'Give evidence for a dispute (staged on Stripe, or submitted with --submit)'
  static help = [
    'node ace disputes:evidence 5 --text="Delivered on May 2, photos attached" \\',
    '  --file=./delivery.pdf --file=customer_communication=./emails.pdf --submit',
    '',
    '--text goes to the bank as the explanation (uncategorized_text, at most',
    '20,000 characters). --file takes PDF, JPEG or PNG files, at most 5 MB each',
    'and 4.5 MB in all; a file without a kind is uncategorized_file, and Stripe',
    `takes one file of each kind (${EVIDENCE_FILE_FIELDS.join(', ')}).`,
    'Without --submit the evidence is only staged on Stripe; --submit (alone, or',
    'with more evidence) sends everything to the bank, once and for all.',
    'Refused after the due date (Stripe then closes the dispute as lost).',
    '',
    'Re-runs: a request an earlier run left pending (no answer from Stripe) is',
    'completed first, with the same idempotency key.',
  ]

  static options: CommandOptions = { startApp: true }

  @args.string({ description: 'Dispute number (5 or #5) or its Stripe id (du_… / dp_…)' })
  declare dispute: string

  @flags.string({ description: 'The explanation for the bank (plain text, several lines allowed)' })
  declare text?: string

  @flags.array({
    description: 'A PDF, JPEG or PNG file ([kind=]path), repeatable',
  })
  declare file?: string[]

  @flags.boolean({ description: 'Submit the evidence to the bank (final)' })
  declare submit: boolean

  @flags.boolean({ description: 'Do not ask for confirmation (needed without a terminal)' })
  declare force: boolean

  protected async perform() {
    const text = this.text === undefined ? null : String(this.text).replace(/\r\n/g, '\n').trim()
    if (text !== null) {
      const problem = freeTextProblem(text, { multiline: true })
      if (problem) {
        throw DomainError.invalid(freeTextMessage(problem, '--text'))
      }
      if (text.length > MAX_EVIDENCE_TEXT) {
        throw DomainError.invalid(
          `--text is ${text.length} characters: Stripe takes at most ${MAX_EVIDENCE_TEXT}.`
        )
      }
    }
    const dispute = await findDisputeArg(this.dispute)
    const files = await checkEvidenceFiles(this.file ?? [])
    const submit = Boolean(this.submit)
    const earlier = await pendingActionOf(dispute)
    if (!earlier) {
      await assertRequestAllowed(dispute, submit ? 'submit' : 'stage')
    }

    const zone = adminZone()
    const now = await businessNow()
    const money = (value: number) => formatAmount(value, dispute.currency)
    const due =
      dispute.dueBy && NEEDS_RESPONSE_STATUSES.includes(dispute.status)
        ? `, due ${formatForAdmin(dispute.dueBy, zone)} (${daysLeft(dispute.dueBy, now)})`
        : ''
    const what = [
      ...(text ? [`the text (${text.length} characters)`] : []),
      ...files.map((file) => `${file.name} as ${file.field} (${Math.ceil(file.size / 1024)} KB)`),
    ]
    await this.confirmOrRefuse({
      force: this.force,
      summary: [
        `Dispute #${dispute.id} (${dispute.stripeDisputeId}) on order #${dispute.orderId ?? '-'}: ` +
          `${money(dispute.amount)}, ${dispute.reason}, ${disputeStatusLabel(dispute.status)}${due}.`,
        earlier
          ? `Request #${earlier.id} from an earlier run is still pending: it is completed first ` +
            '(looked up on Stripe, sent with its own idempotency key if it never arrived).'
          : (what.length ? `Send ${what.join(', ')}` : 'Send the evidence staged earlier') +
            (submit
              ? ' and submit it to the bank now: it cannot be changed after.'
              : ': staged on Stripe, not sent to the bank until --submit.'),
      ],
      question: submit
        ? `Submit this evidence for dispute #${dispute.id}?`
        : `Stage this evidence for dispute #${dispute.id}?`,
      flagHint: submit ? 'submit it' : 'stage it',
    })

    const result = await sendEvidence(dispute.id, { text, files, submit, actor: this.actor })
    const after = result.dispute
    const done = result.resumed
      ? `Request #${result.action.id} (from an earlier run)`
      : `Request #${result.action.id}`
    this.logger.success(
      result.action.submit
        ? `${done}: evidence submitted for dispute #${after.id}; it is ${disputeStatusLabel(after.status).toLowerCase()}.`
        : `${done}: evidence staged on Stripe for dispute #${after.id}; submit it with --submit before it is due.`
    )
  }
}
