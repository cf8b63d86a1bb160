import { test } from '@japa/runner'
import ace from '@adonisjs/core/services/ace'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { tmpdir, userInfo } from 'node:os'
import Dispute from '#models/dispute'
import DisputeAction, { type EvidenceFile } from '#models/dispute_action'
import PaymentEvent from '#models/payment_event'
import Transfer from '#models/transfer'
import TransferReversal from '#models/transfer_reversal'
import DisputesList from '#commands/disputes_list'
import DisputesShow from '#commands/disputes_show'
import DisputesEvidence from '#commands/disputes_evidence'
import DisputesAccept from '#commands/disputes_accept'
import StripeReconcile from '#commands/stripe_reconcile'
import { stripe } from '#stripe/client'
import { businessNow } from '#services/clock'
import { truncateAllTables } from '#tests/helpers/database'
import {
  decideSandboxDispute,
  deliverNewEvents,
  disputedHoldOrder,
  disputeOfOrder,
  stripeDisputeOf,
} from '#tests/helpers/disputes'
import {
  errorsOf,
  literally,
  outputOf,
  runCommand,
  stripeWritesDuring,
  withoutTerminal,
} from '#tests/functional/console_helpers'

const ACTOR = `console:${userInfo().username}`

/** A chargeback on a captured one-line order, recorded from its webhooks */
async function recordedChargeback(client: Parameters<typeof deliverNewEvents>[0]) {
  const setup = await disputedHoldOrder()
  const onStripe = await stripeDisputeOf(setup.payment.stripeChargeId!)
  await deliverNewEvents(client, onStripe.id, new Set())
  const dispute = await disputeOfOrder(setup.order)
  return { ...setup, onStripe, dispute }
}

/** Runs `work` with TZ set to `zone` (or unset) */
async function withZone<T>(zone: string | undefined, work: () => Promise<T>) {
  const before = process.env.TZ
  if (zone === undefined) {
    delete process.env.TZ
  } else {
    process.env.TZ = zone
  }
  try {
    return await work()
  } finally {
    if (before === undefined) {
      delete process.env.TZ
    } else {
      process.env.TZ = before
    }
  }
}

test.group('Console: disputes:list and disputes:show', (group) => {
  group.each.setup(async () => {
    await truncateAllTables()
    ace.ui.switchMode('raw')
    return () => ace.ui.switchMode('normal')
  })

  test('lists disputes with the due date in the admin’s zone and the days left', async ({
    client,
    assert,
  }) => {
    const { order, dispute, onStripe } = await recordedChargeback(client)
    const now = await businessNow()
    const days = Math.floor(dispute.dueBy!.diff(now, 'hours').hours / 24)
    // Stripe's due date is the end of a UTC day: 18:59 in New York in winter, 19:59 in summer
    const local = dispute.dueBy!.setZone('America/New_York')

    const listed = await withZone('America/New_York', () => runCommand(DisputesList, []))

    listed.assertSucceeded()
    listed.assertLogMatches(literally('Due dates in America/New_York (from TZ).'))
    const row = outputOf(listed).find((line) => line.includes(onStripe.id))!
    assert.include(row, `#${order.id}`)
    assert.include(row, '$120.00')
    assert.include(row, 'Chargeback: response needed')
    assert.include(
      row,
      `${local.toFormat('yyyy-MM-dd')} ${local.isInDST ? '19:59 EDT' : '18:59 EST'}`
    )
    assert.include(row, `(${days} days left)`)

    const json = await runCommand(DisputesList, ['--json'])
    json.assertSucceeded()
    const [entry] = JSON.parse(outputOf(json)[0])
    assert.equal(entry.id, dispute.id)
    assert.equal(entry.stripe_dispute_id, onStripe.id)
    assert.equal(entry.amount, 12000)
    assert.equal(entry.status, 'needs_response')
    assert.equal(entry.due_by, dispute.dueBy!.toUTC().toISO())
    assert.equal(entry.withdrawn_amount, 12000)
    assert.equal(entry.withdrawn_fee, 1500)

    const closed = await runCommand(DisputesList, ['--status=closed'])
    closed.assertSucceeded()
    closed.assertLogMatches(/No dispute has that status/)
    const open = await runCommand(DisputesList, ['--status=open', '--json'])
    assert.lengthOf(JSON.parse(outputOf(open)[0]), 1)
    const bad = await runCommand(DisputesList, ['--status=pending'])
    bad.assertExitCode(1)
    assert.match(
      errorsOf(bad)[0],
      /--status must be open, closed or one of: warning_needs_response/
    )
  })

  test('shows one dispute: its due date, money, shares, and which zone the times are in', async ({
    client,
    assert,
  }) => {
    const { dispute, onStripe, transfers } = await recordedChargeback(client)

    const shown = await withZone('Asia/Tokyo', () => runCommand(DisputesShow, [`#${dispute.id}`]))

    shown.assertSucceeded()
    const text = outputOf(shown).join('\n')
    const due = dispute.dueBy!.setZone('Asia/Tokyo').toFormat('yyyy-MM-dd HH:mm')
    assert.include(text, `${due} GMT+9 (`)
    assert.match(text, /Evidence due.*days? left/)
    assert.include(text, 'Asia/Tokyo (from TZ)')
    assert.include(text, '$120.00 + $15.00 dispute fee')
    assert.include(text, 'fraudulent: the cardholder says they did not make this payment')
    assert.include(text, 'reverse (dispute fee paid by platform)')
    const [reversal] = await TransferReversal.query().where('disputeId', dispute.id)
    assert.include(text, `reversal #${reversal.id} $108.00 succeeded`)

    const bySystem = await withZone(undefined, () => runCommand(DisputesShow, [onStripe.id]))
    bySystem.assertSucceeded()
    bySystem.assertLogMatches(/the system's time zone; set TZ to change it/)

    const json = await runCommand(DisputesShow, [String(dispute.id), '--json'])
    const shownJson = JSON.parse(outputOf(json)[0])
    assert.equal(shownJson.stripe_dispute_id, onStripe.id)
    assert.deepEqual(shownJson.lines, [
      {
        line_id: transfers[0].orderLineId,
        title: 'Kitchen repaint',
        contractor: 'carla@example.com',
        amount: 12000,
        share: 10800,
        fee_share: 0,
      },
    ])
    assert.equal(shownJson.reversals[0].amount, 10800)

    const unknown = await runCommand(DisputesShow, ['99'])
    unknown.assertExitCode(1)
    assert.include(errorsOf(unknown)[0], 'Dispute #99 does not exist.')
    const malformed = await runCommand(DisputesShow, ['ch_123'])
    malformed.assertExitCode(1)
    assert.match(errorsOf(malformed)[0], /is not a dispute: give its number/)
  })
})

test.group('Console: disputes:evidence and disputes:accept', (group) => {
  let folder: string
  group.each.setup(async () => {
    await truncateAllTables()
    folder = await mkdtemp(join(tmpdir(), 'crewpay-evidence-'))
    ace.ui.switchMode('raw')
    return async () => {
      ace.ui.switchMode('normal')
      await rm(folder, { recursive: true, force: true })
    }
  })

  async function file(name: string, head: Buffer | string, size = 2048) {
    const path = join(folder, name)
    const body = Buffer.alloc(size, 0x20)
    Buffer.from(head).copy(body)
    await writeFile(path, body)
    return path
  }

  test('files are checked before anything is uploaded, with messages that say what is wrong', async ({
    client,
    assert,
  }) => {
    const { dispute } = await recordedChargeback(client)
    const pdf = await file('receipt.pdf', '%PDF-1.4\n')
    const other = await file('photos.pdf', '%PDF-1.4\n')
    const notPdf = await file('notes.pdf', 'just some text')
    const huge = await file('scan.pdf', '%PDF-1.4\n', 6 * 1024 * 1024)
    const cases: [string[], RegExp][] = [
      [[`--file=${notPdf}`], /notes\.pdf is not a PDF, JPEG or PNG file/],
      [[`--file=${huge}`], /scan\.pdf is 6\.0 MB: Stripe takes evidence files of at most 5 MB/],
      [
        [`--file=${pdf}`, `--file=${other}`],
        /one file per kind of evidence: name the kind of photos\.pdf, e\.g\. --file=service_documentation=/,
      ],
      [[`--file=${join(folder, 'missing.pdf')}`], /No file at .*missing\.pdf/],
      [['--text=Delivered\u0007'], /--text contains a control character/],
      [['--submit'], /There is no evidence to submit: give --text or --file/],
    ]
    for (const [argv, message] of cases) {
      const { result, writes } = await stripeWritesDuring(() =>
        runCommand(DisputesEvidence, [String(dispute.id), ...argv, '--force'])
      )
      result.assertExitCode(1)
      assert.match(errorsOf(result)[0], message)
      assert.deepEqual(writes, [], argv.join(' '))
    }
    assert.lengthOf(await DisputeAction.all(), 0)
  })

  test('stages text and files, then submits them; each request audited; no more after', async ({
    client,
    assert,
  }) => {
    const { dispute, onStripe, order } = await recordedChargeback(client)
    const pdf = await file('receipt.pdf', '%PDF-1.4\n')
    const png = await file(
      'delivery.png',
      Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])
    )
    const stage = [
      String(dispute.id),
      '--text=Delivered on May 2; the employer approved the work.',
      `--file=${pdf}`,
      `--file=service_documentation=${png}`,
    ]

    const unconfirmed = await withoutTerminal(() => runCommand(DisputesEvidence, stage))
    unconfirmed.assertExitCode(1)
    assert.match(errorsOf(unconfirmed)[0], /No terminal to confirm on: nothing was done/)

    const staged = await runCommand(DisputesEvidence, [...stage, '--force'])

    staged.assertSucceeded()
    staged.assertLogMatches(/staged on Stripe for dispute/)
    await dispute.refresh()
    assert.equal(dispute.status, 'needs_response')
    assert.isTrue(dispute.hasEvidence)
    const [action] = await DisputeAction.all()
    assert.equal(action.status, 'succeeded')
    assert.isFalse(action.submit)
    assert.equal(action.initiatedBy, ACTOR)
    const receipt = action.evidence!.uncategorized_file as EvidenceFile
    const photo = action.evidence!.service_documentation as EvidenceFile
    assert.deepInclude(receipt, { name: 'receipt.pdf', type: 'application/pdf', size: 2048 })
    assert.deepInclude(photo, { name: 'delivery.png', type: 'image/png', size: 2048 })
    const uploaded = await stripe().files.retrieve(receipt.id)
    assert.equal(uploaded.purpose, 'dispute_evidence')
    const onStripeStaged = await stripe().disputes.retrieve(onStripe.id)
    assert.equal(onStripeStaged.status, 'needs_response')
    assert.equal(onStripeStaged.evidence.uncategorized_file, receipt.id)
    assert.equal(onStripeStaged.evidence.service_documentation, photo.id)
    assert.equal(
      onStripeStaged.evidence.uncategorized_text,
      'Delivered on May 2; the employer approved the work.'
    )

    const submitted = await runCommand(DisputesEvidence, [
      String(dispute.id),
      '--submit',
      '--force',
    ])

    submitted.assertSucceeded()
    await dispute.refresh()
    assert.equal(dispute.status, 'under_review')
    assert.equal(dispute.evidenceSubmissionCount, 1)
    const audit = await PaymentEvent.query()
      .where('disputeId', dispute.id)
      .whereIn('type', ['dispute.evidence_staged', 'dispute.evidence_submitted'])
      .orderBy('id')
    assert.deepEqual(
      audit.map((event) => [event.type, event.actor, event.orderId]),
      [
        ['dispute.evidence_staged', ACTOR, order.id],
        ['dispute.evidence_submitted', ACTOR, order.id],
      ]
    )
    assert.include(audit[0].message!, 'receipt.pdf')

    const more = await runCommand(DisputesEvidence, [String(dispute.id), '--text=More', '--force'])
    more.assertExitCode(1)
    assert.include(
      errorsOf(more)[0],
      `Cannot stage dispute #${dispute.id}: it is under review: its evidence was submitted.`
    )
  })

  test('accepting: confirmed, audited, lost for good, nothing more accepted after', async ({
    client,
    assert,
  }) => {
    const { dispute, onStripe, order, employer } = await recordedChargeback(client)

    const unconfirmed = await withoutTerminal(() =>
      runCommand(DisputesAccept, [String(dispute.id)])
    )
    unconfirmed.assertExitCode(1)
    assert.match(errorsOf(unconfirmed)[0], /No terminal to confirm on/)
    unconfirmed.assertLogMatches(
      /Accepting closes it as lost, for good: \$120\.00 stays with the cardholder/
    )

    const accepted = await runCommand(DisputesAccept, [String(dispute.id), '--force'])

    accepted.assertSucceeded()
    accepted.assertLogMatches(/dispute #\d+ accepted; it is lost/)
    await dispute.refresh()
    assert.equal(dispute.status, 'lost')
    assert.isNotNull(dispute.settledAt)
    const onStripeNow = await stripe().disputes.retrieve(onStripe.id)
    assert.equal(onStripeNow.status, 'lost')
    const event = await PaymentEvent.query()
      .where('disputeId', dispute.id)
      .where('type', 'dispute.accepted')
      .firstOrFail()
    assert.equal(event.actor, ACTOR)
    assert.equal(event.orderId, order.id)
    const page = await client.get(`/orders/${order.id}`).loginAs(employer)
    page.assertTextIncludes('$120.00 went back to you')

    const again = await runCommand(DisputesAccept, [String(dispute.id), '--force'])
    again.assertExitCode(1)
    assert.include(errorsOf(again)[0], `Cannot accept dispute #${dispute.id}: it was lost.`)
  })
})

test.group('Console: stripe:reconcile compares disputes with Stripe', (group) => {
  group.each.setup(async () => {
    await truncateAllTables()
    ace.ui.switchMode('raw')
    return () => ace.ui.switchMode('normal')
  })

  test('a dispute whose webhooks never came is found, recorded and its share taken back', async ({
    assert,
  }) => {
    const { payment, transfers } = await disputedHoldOrder()
    const onStripe = await stripeDisputeOf(payment.stripeChargeId!)

    const report = await runCommand(StripeReconcile, ['--json'])
    report.assertExitCode(1)
    const listed = JSON.parse(outputOf(report)[0])
    assert.deepInclude(listed.drifts, {
      subject: `dispute ${onStripe.id}`,
      problem: 'not recorded',
      local: 'none',
      stripe: `$120.00 needs_response on ${payment.stripeChargeId}`,
      fix: 'record it',
      fixed: false,
    })
    assert.lengthOf(await Dispute.all(), 0)

    const fixed = await runCommand(StripeReconcile, ['--fix', '--force'])
    fixed.assertLogMatches(new RegExp(`dispute ${onStripe.id}.*fixed: record it`))

    const [dispute] = await Dispute.all()
    assert.equal(dispute.status, 'needs_response')
    assert.equal(dispute.withdrawnAmount, 12000)
    const [reversal] = await TransferReversal.query().where('disputeId', dispute.id)
    assert.equal(reversal.transferId, transfers[0].id)
    assert.equal(reversal.status, 'succeeded')
    assert.equal(reversal.amount, 10800)
    const again = await runCommand(StripeReconcile, ['--json'])
    const left = JSON.parse(outputOf(again)[0])
    assert.deepEqual(
      left.drifts.filter((drift: { subject: string }) => drift.subject.includes('dispute')),
      []
    )
    assert.equal(left.checked.disputes, 1)
  })

  test('a ruling whose webhooks never came: the dispute moves forward and the share is given back', async ({
    client,
    assert,
  }) => {
    const { dispute, onStripe, contractor } = await recordedChargeback(client)
    await decideSandboxDispute(onStripe.id, 'won')

    const report = await runCommand(StripeReconcile, ['--json'])
    const subject = `dispute #${dispute.id} (order #${dispute.orderId})`
    const drifts = JSON.parse(outputOf(report)[0]).drifts.filter(
      (drift: { subject: string }) => drift.subject === subject
    )
    assert.deepEqual(
      drifts.map((drift: { problem: string; fix: string }) => [drift.problem, drift.fix]),
      [
        ['status', 'move the dispute forward to match Stripe'],
        ['reinstatement not recorded', 'record the reinstatement'],
      ]
    )

    const fixed = await runCommand(StripeReconcile, ['--fix', '--force'])
    fixed.assertSucceeded()

    await dispute.refresh()
    assert.equal(dispute.status, 'won')
    assert.equal(dispute.reinstatedAmount, 12000)
    const [returned] = await Transfer.query().where('disputeId', dispute.id)
    assert.equal(returned.status, 'paid')
    assert.equal(returned.amount, 10800)
    assert.equal(returned.contractorId, contractor.id)
  })
})
