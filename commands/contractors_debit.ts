import { args, flags } from '@adonisjs/core/ace'
import type { CommandOptions } from '@adonisjs/core/types/ace'
import ContractorDebit from '#models/contractor_debit'
import { DomainError } from '#exceptions/domain_error'
import { ConsoleCommand } from '#services/console_command'
import {
  debitValidator,
  findContractorArg,
  findOrderArg,
  parseAmountFlag,
} from '#services/console_inputs'
import { formatAmount } from '#money/amounts'
import {
  assertDebitable,
  collectOwedDebit,
  connectedBalance,
  debitContractor,
  findSameDebit,
  type DebitResult,
} from '#actions/contractors/debit_contractor'

/**
 * Takes money from a contractor's Stripe balance (an account debit: a charge
 * on the platform with source=acct_…). The debit row is written before Stripe
 * is called and its key comes from the row.
 */
export default class ContractorsDebit extends ConsoleCommand {
  static commandName = 'contractors:debit'
  static description =
    "Debit a contractor's Stripe balance (an account debit), or collect an owed debit"
  static help = [
    'node ace contractors:debit carla@example.com --amount=5.00 --currency=usd \\',
    '  --reason="Chargeback fee" [--order=42]',
    "  Takes the amount from the contractor's available Stripe balance (an",
    '  account debit). Refused, nothing charged, when the available balance',
    "  cannot cover it. The currency must be the account's currency.",
    '',
    'node ace contractors:debit carla@example.com --collect=7',
    '  Collects a debit that a platform-covered refund recorded as owed.',
    '  Refused, it stays owed.',
    '',
    'Re-runs: a pending or succeeded debit of the same contractor, amount,',
    'currency and order is taken to be this command run again: a pending one',
    'is completed (never sent twice), a succeeded one is reported and nothing',
    'is done. To debit the same amount again on purpose, add --repeat.',
  ]

  static options: CommandOptions = { startApp: true }

  @args.string({ description: 'The contractor: email or user id' })
  declare contractor: string

  @flags.string({ description: "Amount in the currency's units (5.00)" })
  declare amount?: string

  @flags.string({ description: "Currency (the contractor's account currency, e.g. usd)" })
  declare currency?: string

  @flags.string({ description: 'Why the contractor is debited (kept with the debit)' })
  declare reason?: string

  @flags.string({ description: 'The order this debit is about (42 or #42)' })
  declare order?: string

  @flags.string({ description: 'Collect this owed debit (its id) instead of making a new one' })
  declare collect?: string

  @flags.boolean({ description: 'Debit again an amount an earlier debit already had' })
  declare repeat: boolean

  @flags.boolean({ description: 'Do not ask for confirmation (needed without a terminal)' })
  declare force: boolean

  protected async perform() {
    if (this.collect !== undefined) {
      return this.collectOwed()
    }
    const { currency, reason } = await debitValidator.validate({
      currency: this.currency,
      reason: this.reason,
    })
    const amount = parseAmountFlag(this.amount, currency)
    const contractor = await findContractorArg(this.contractor)
    const order = this.order === undefined ? null : await findOrderArg(this.order)
    const input = {
      actor: this.actor,
      contractor,
      amount,
      currency,
      reason,
      orderId: order?.id ?? null,
      repeat: Boolean(this.repeat),
    }
    const profile = await assertDebitable(input)
    const money = (value: number) => formatAmount(value, currency)

    const earlier = this.repeat ? null : await findSameDebit(input)
    if (earlier?.status === 'succeeded') {
      this.logger.info(
        `Debit #${earlier.id} of ${money(earlier.amount)} from ${contractor.email} already ` +
          `succeeded (${earlier.stripeId}): nothing was done. To debit ${money(amount)} again, add --repeat.`
      )
      return
    }

    const balance = await connectedBalance(profile.stripeId!, currency)
    await this.confirmOrRefuse({
      force: this.force,
      summary: [
        `${contractor.email} (${profile.stripeId}): available balance ` +
          `${balance === null ? 'unknown' : money(balance.available)}.`,
        earlier
          ? `Debit #${earlier.id} of ${money(earlier.amount)} from an earlier run is still pending: ` +
            'it is completed (looked up on Stripe, sent with its own idempotency key if it never arrived).'
          : `Debit ${money(amount)} from their Stripe balance` +
            (order ? ` for order #${order.id}` : '') +
            `: ${reason}`,
      ],
      question: `Debit ${money(amount)} from ${contractor.email}?`,
      flagHint: 'debit',
    })

    this.report(await debitContractor(input), contractor.email)
  }

  private async collectOwed() {
    const id = /^\d{1,9}$/.test(String(this.collect).trim()) ? Number(this.collect) : null
    if (id === null) {
      throw DomainError.invalid('--collect needs the id of an owed debit, e.g. --collect=7.')
    }
    if (this.amount !== undefined || this.currency !== undefined) {
      throw DomainError.invalid(
        '--collect takes the amount and currency from the owed debit: leave out --amount and --currency.'
      )
    }
    const contractor = await findContractorArg(this.contractor)
    const debit = await ContractorDebit.find(id)
    if (!debit || debit.contractorId !== contractor.id) {
      throw DomainError.notFound(`${contractor.email} has no debit #${id}.`)
    }
    const money = (value: number) => formatAmount(value, debit.currency)
    if (debit.status === 'succeeded') {
      this.logger.info(
        `Debit #${debit.id} of ${money(debit.amount)} was already collected (${debit.stripeId}): nothing was done.`
      )
      return
    }
    await this.confirmOrRefuse({
      force: this.force,
      summary: [
        `Debit #${debit.id} (${debit.status}): ${money(debit.amount)} owed by ${contractor.email}: ${debit.reason}.`,
      ],
      question: `Collect ${money(debit.amount)} from ${contractor.email}?`,
      flagHint: 'collect it',
    })
    this.report(await collectOwedDebit(contractor, id, this.actor), contractor.email)
  }

  private report(result: DebitResult, email: string) {
    const { debit } = result
    const amount = formatAmount(debit.amount, debit.currency)
    if (result.outcome === 'already_done') {
      this.logger.info(
        `Debit #${debit.id} of ${amount} from ${email} already succeeded (${debit.stripeId}): nothing was done.`
      )
      return
    }
    this.logger.success(
      `${result.resumed ? `Debit #${debit.id} (from an earlier run)` : `Debit #${debit.id}`} of ` +
        `${amount} from ${email} succeeded (${debit.stripeId}).`
    )
  }
}
