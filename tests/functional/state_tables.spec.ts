import { test } from '@japa/runner'
import db from '@adonisjs/lucid/services/db'
import Order from '#models/order'
import OrderLine, { LINE_STATES, LINE_STATUSES, type LineVerb } from '#models/order_line'
import Payment, {
  PAYMENT_REQUESTS,
  PAYMENT_STATES,
  PAYMENT_STATUSES,
  type PaymentRequest,
  type PaymentVerb,
} from '#models/payment'
import PaymentEvent from '#models/payment_event'
import type { ActorKind, StateMachine } from '#models/state_machine'
import { REFUND_STATES } from '#models/refund'
import { TRANSFER_STATES } from '#models/transfer'
import { REVERSAL_STATES } from '#models/transfer_reversal'
import { DEBIT_STATES } from '#models/contractor_debit'
import { DISPUTE_ACTION_STATES } from '#models/dispute_action'
import { DomainError } from '#exceptions/domain_error'
import { moveLine } from '#actions/orders/move_line'
import { movePayment } from '#actions/payments/move_payment'
import { truncateAllTables } from '#tests/helpers/database'
import { createUser } from '#tests/helpers/users'

const ACTORS: ActorKind[] = ['employer', 'contractor', 'admin', 'system', 'stripe']
const LINE_VERBS: LineVerb[] = ['accept', 'decline', 'deliver', 'approve', 'cancel']
const PAYMENT_VERBS: PaymentVerb[] = [
  'require_action',
  'process',
  'authorize',
  'succeed',
  'fail',
  'cancel',
  'refund_partly',
  'refund_fully',
]

/*
| The rules, written out once more by hand: the tables must say exactly this.
| [from, verb, to, who]
*/
const LINE_RULES: [string, LineVerb, string, ActorKind[]][] = [
  ['requested', 'accept', 'accepted', ['contractor']],
  ['requested', 'decline', 'declined', ['contractor']],
  ['requested', 'cancel', 'canceled', ['employer', 'admin', 'system']],
  ['requested', 'approve', 'approved', ['admin', 'system']],
  ['accepted', 'deliver', 'delivered', ['contractor']],
  ['accepted', 'cancel', 'canceled', ['admin', 'system']],
  ['accepted', 'approve', 'approved', ['admin', 'system']],
  ['delivered', 'approve', 'approved', ['employer', 'admin', 'system']],
  ['delivered', 'cancel', 'canceled', ['admin', 'system']],
  ['approved', 'cancel', 'canceled', ['system']],
]

const STRIPE: ActorKind[] = ['stripe']
const PAYMENT_RULES: [string, PaymentVerb, string, ActorKind[]][] = [
  ['pending', 'require_action', 'requires_action', STRIPE],
  ['pending', 'process', 'processing', STRIPE],
  ['pending', 'authorize', 'authorized', STRIPE],
  ['pending', 'succeed', 'succeeded', STRIPE],
  ['pending', 'fail', 'failed', ['stripe', 'system']],
  ['pending', 'cancel', 'canceled', STRIPE],
  ['requires_action', 'process', 'processing', STRIPE],
  ['requires_action', 'authorize', 'authorized', STRIPE],
  ['requires_action', 'succeed', 'succeeded', STRIPE],
  ['requires_action', 'fail', 'failed', STRIPE],
  ['requires_action', 'cancel', 'canceled', STRIPE],
  ['processing', 'succeed', 'succeeded', STRIPE],
  ['processing', 'fail', 'failed', STRIPE],
  ['processing', 'cancel', 'canceled', STRIPE],
  ['authorized', 'succeed', 'succeeded', STRIPE],
  ['authorized', 'cancel', 'canceled', STRIPE],
  ['succeeded', 'refund_partly', 'partially_refunded', STRIPE],
  ['succeeded', 'refund_fully', 'refunded', STRIPE],
  ['partially_refunded', 'refund_partly', 'partially_refunded', STRIPE],
  ['partially_refunded', 'refund_fully', 'refunded', STRIPE],
]

const REQUEST_RULES: [string, PaymentRequest, string, ActorKind[]][] = [
  ['requires_action', 'cancel', 'canceled', ['employer', 'admin', 'system']],
  ['authorized', 'capture', 'succeeded', ['employer', 'admin', 'system']],
  ['authorized', 'cancel', 'canceled', ['employer', 'contractor', 'admin', 'system']],
]

function expand<V extends string>(rules: [string, V, string, ActorKind[]][]) {
  return rules.flatMap(([from, verb, to, who]) =>
    who.map((kind) => ({ from, verb, to, who: kind }))
  )
}

function rule<V extends string>(
  rules: [string, V, string, ActorKind[]][],
  from: string,
  verb: V,
  who: ActorKind
) {
  return rules.find((entry) => entry[0] === from && entry[1] === verb && entry[3].includes(who))
}

test.group('State tables say exactly the rules', () => {
  test('order lines', ({ assert }) => {
    assert.sameDeepMembers(LINE_STATES.allowed(), expand(LINE_RULES))
  })

  test('payments', ({ assert }) => {
    assert.sameDeepMembers(PAYMENT_STATES.allowed(), expand(PAYMENT_RULES))
  })

  test('capture and cancel requests', ({ assert }) => {
    assert.sameDeepMembers(PAYMENT_REQUESTS.allowed(), expand(REQUEST_RULES))
  })

  test('every refused pair says why: a conflict for the wrong state, forbidden for the wrong party', ({
    assert,
  }) => {
    for (const from of LINE_STATUSES) {
      for (const verb of LINE_VERBS) {
        for (const who of ACTORS) {
          if (rule(LINE_RULES, from, verb, who)) {
            continue
          }
          const mayElsewhere = LINE_RULES.some(
            (entry) => entry[1] === verb && entry[3].includes(who)
          )
          try {
            LINE_STATES.next(from, verb, who)
            assert.fail(`${who} ${verb} from ${from} was allowed`)
          } catch (error) {
            assert.instanceOf(error, DomainError)
            assert.equal((error as DomainError).kind, mayElsewhere ? 'conflict' : 'forbidden')
          }
        }
      }
    }
  })
})

/*
| The rows of the Stripe write protocol (refunds, transfers, reversals,
| debits, dispute actions) follow Stripe's answers: [from, verb, to, who]
*/
const SYSTEM_OR_STRIPE: ActorKind[] = ['stripe', 'system']
const REFUND_RULES: [string, string, string, ActorKind[]][] = [
  ['pending', 'succeed', 'succeeded', STRIPE],
  ['pending', 'fail', 'failed', SYSTEM_OR_STRIPE],
  ['pending', 'cancel', 'canceled', STRIPE],
  // Stripe fails a refund after it succeeded when the card was closed
  ['succeeded', 'fail', 'failed', STRIPE],
  ['failed', 'succeed', 'succeeded', STRIPE],
  ['failed', 'resume', 'pending', STRIPE],
  ['canceled', 'succeed', 'succeeded', STRIPE],
  ['canceled', 'resume', 'pending', STRIPE],
]
const TRANSFER_RULES: [string, string, string, ActorKind[]][] = [
  ['pending', 'pay', 'paid', STRIPE],
  ['pending', 'fail', 'failed', SYSTEM_OR_STRIPE],
  ['failed', 'resend', 'pending', ['admin', 'system', 'stripe']],
  ['failed', 'pay', 'paid', STRIPE],
]
const ONE_SHOT_RULES: [string, string, string, ActorKind[]][] = [
  ['pending', 'succeed', 'succeeded', STRIPE],
  ['pending', 'fail', 'failed', SYSTEM_OR_STRIPE],
]
const DEBIT_RULES: [string, string, string, ActorKind[]][] = [
  ['owed', 'collect', 'pending', ['admin', 'system', 'stripe']],
  ['owed', 'succeed', 'succeeded', STRIPE],
  ['owed', 'cancel', 'canceled', ['system']],
  ['pending', 'succeed', 'succeeded', STRIPE],
  ['pending', 'fail', 'failed', SYSTEM_OR_STRIPE],
  ['pending', 'owe_again', 'owed', SYSTEM_OR_STRIPE],
  ['succeeded', 'fail', 'failed', STRIPE],
  ['failed', 'collect', 'pending', STRIPE],
  ['failed', 'succeed', 'succeeded', STRIPE],
  ['canceled', 'collect', 'pending', STRIPE],
  ['canceled', 'succeed', 'succeeded', STRIPE],
]

test.group('Stripe write rows move only through their tables', () => {
  const tables: [string, StateMachine<any, any>, [string, string, string, ActorKind[]][]][] = [
    ['refunds', REFUND_STATES, REFUND_RULES],
    ['transfers', TRANSFER_STATES, TRANSFER_RULES],
    ['transfer reversals', REVERSAL_STATES, ONE_SHOT_RULES],
    ['contractor debits', DEBIT_STATES, DEBIT_RULES],
    ['dispute actions', DISPUTE_ACTION_STATES, ONE_SHOT_RULES],
  ]

  for (const [name, machine, rules] of tables) {
    test(`${name}: the table says exactly the rules`, ({ assert }) => {
      assert.sameDeepMembers(machine.allowed(), expand(rules))
    })

    test(`${name}: reaching a status is allowed only along a listed step, by its party`, ({
      assert,
    }) => {
      for (const from of machine.statuses) {
        for (const to of machine.statuses) {
          for (const who of ACTORS) {
            const listed =
              from === to ||
              rules.some((entry) => entry[0] === from && entry[2] === to && entry[3].includes(who))
            const label = `${who}: ${from} → ${to}`
            if (listed) {
              assert.equal(machine.reach(from, to, who), to, label)
            } else {
              assert.throws(() => machine.reach(from, to, who), /cannot go from/, label)
            }
          }
        }
      }
    })
  }
})

test.group('Every status change goes through its table', (group) => {
  group.each.setup(() => truncateAllTables())

  async function fixtures() {
    const employer = await createUser({ role: 'employer' })
    const contractor = await createUser({ role: 'contractor' })
    const order = await Order.create({ employerId: employer.id, currency: 'usd', total: 1000 })
    const line = await OrderLine.create({
      orderId: order.id,
      contractorId: contractor.id,
      title: 'Fix a tap',
      unitPrice: 1000,
      amount: 1000,
      feeAmount: 100,
      status: 'requested',
    })
    const payment = await Payment.create({
      orderId: order.id,
      employerId: employer.id,
      methodType: 'card',
      flow: 'hold',
      amount: 1000,
      currency: 'usd',
      status: 'pending',
    })
    return { order, line, payment }
  }

  test('a line: each allowed move is made and audited, every other pair is refused and changes nothing', async ({
    assert,
  }) => {
    const { line } = await fixtures()
    for (const from of LINE_STATUSES) {
      for (const verb of LINE_VERBS) {
        for (const who of ACTORS) {
          await db.from('order_lines').where('id', line.id).update({ status: from })
          await line.refresh()
          const before = await PaymentEvent.query()
            .where('orderLineId', line.id)
            .count('* as total')
          const allowed = rule(LINE_RULES, from, verb, who)
          const label = `${who} ${verb} from ${from}`
          if (allowed) {
            await db.transaction((trx) => moveLine(trx, line, verb, { kind: who, label: 'test' }))
            await line.refresh()
            assert.equal(line.status, allowed[2], label)
            const event = await PaymentEvent.query()
              .where('orderLineId', line.id)
              .orderBy('id', 'desc')
              .firstOrFail()
            assert.deepEqual([event.fromStatus, event.toStatus], [from, allowed[2]], label)
          } else {
            await assert.rejects(
              () =>
                db.transaction((trx) => moveLine(trx, line, verb, { kind: who, label: 'test' })),
              DomainError
            )
            await line.refresh()
            assert.equal(line.status, from, label)
            const after = await PaymentEvent.query()
              .where('orderLineId', line.id)
              .count('* as total')
            assert.equal(after[0].$extras.total, before[0].$extras.total, label)
          }
        }
      }
    }
  }).timeout(60_000)

  test('a payment: each allowed move is made, every other pair changes nothing (forward only)', async ({
    assert,
  }) => {
    const { payment } = await fixtures()
    for (const from of PAYMENT_STATUSES) {
      for (const verb of PAYMENT_VERBS) {
        for (const who of ACTORS) {
          await db.from('payments').where('id', payment.id).update({ status: from })
          await payment.refresh()
          const allowed = rule(PAYMENT_RULES, from, verb, who)
          const moved = await db.transaction((trx) =>
            movePayment(trx, payment, verb, { kind: who, label: 'test' })
          )
          await payment.refresh()
          const label = `${who} ${verb} from ${from}`
          assert.equal(moved, Boolean(allowed), label)
          assert.equal(payment.status, allowed ? allowed[2] : from, label)
        }
      }
    }
  }).timeout(60_000)
})
