import { args, flags } from '@adonisjs/core/ace'
import type { CommandOptions } from '@adonisjs/core/types/ace'
import UserProfile from '#models/user_profile'
import { ConsoleCommand, ConsoleRefusal } from '#services/console_command'
import { findContractorArg, parseAmountFlag } from '#services/console_inputs'
import { percentToBasisPoints, platformFee } from '#money/fees'
import { formatAmount } from '#money/amounts'
import {
  describeFeePlan,
  feePlanOf,
  hasOwnFeePlan,
  platformFeePlan,
} from '#actions/contractors/fee_plans'
import { feePlanProblem, setFeePlan } from '#actions/contractors/set_fee_plan'

/** A contractor's fee plan: shown, set, or reset to the platform default */
export default class ContractorsFee extends ConsoleCommand {
  static commandName = 'contractors:fee'
  static description = "Show or set a contractor's fee plan (percent, fixed, min, max per line)"
  static help = [
    'Each contractor pays the platform default (PLATFORM_FEE_PERCENT, PLATFORM_FEE_FIXED)',
    'unless they have a plan of their own:',
    '  node ace contractors:fee ada@example.com --percent=8 --fixed=0.30 --min=1 --max=25',
    '  node ace contractors:fee ada@example.com --reset   (back to the default)',
    '  node ace contractors:fee ada@example.com --show',
    "Amounts are in the contractor's account currency. A plan applies to lines ordered",
    'from now on: each line keeps the plan it was ordered under.',
  ]

  static options: CommandOptions = { startApp: true }

  @args.string({ description: 'The contractor: email or user id' })
  declare contractor: string

  @flags.string({ description: 'Percentage of each line, up to two decimals (8, 12.5)' })
  declare percent?: string

  @flags.string({ description: "Fixed part per line, in the contractor's currency (0.30)" })
  declare fixed?: string

  @flags.string({ description: 'Minimum fee per line' })
  declare min?: string

  @flags.string({ description: 'Maximum fee per line' })
  declare max?: string

  @flags.boolean({ description: 'Back to the platform default' })
  declare reset: boolean

  @flags.boolean({ description: 'Only show the plan in force' })
  declare show: boolean

  @flags.boolean({ description: 'Do not ask for confirmation (needed without a terminal)' })
  declare force: boolean

  protected async perform() {
    const contractor = await findContractorArg(this.contractor)
    const profile = await UserProfile.findByOrFail('userId', contractor.id)
    const currency = profile.defaultCurrency
    const current = feePlanOf(profile)
    const example = (plan: typeof current) =>
      `on a ${formatAmount(10000, currency)} line the fee is ${formatAmount(platformFee(10000, plan), currency)}`
    const setting = [this.percent, this.fixed, this.min, this.max].some(
      (value) => value !== undefined
    )

    if (this.show || (!setting && !this.reset)) {
      this.logger.info(
        `${contractor.email}: ${describeFeePlan(current, currency)}` +
          `${hasOwnFeePlan(profile) ? ' (own plan)' : ' (platform default)'}; ${example(current)}.`
      )
      return
    }
    if (this.reset && setting) {
      throw new ConsoleRefusal('--reset takes no other fee flag.')
    }

    let plan = null
    if (!this.reset) {
      if (this.percent === undefined) {
        throw new ConsoleRefusal('--percent is required to set a plan (0 for none).')
      }
      let basisPoints: number
      try {
        basisPoints = percentToBasisPoints(this.percent)
      } catch (error) {
        throw new ConsoleRefusal(`--percent: ${(error as Error).message}.`)
      }
      const money = (flag: string, value: string | undefined) =>
        value === undefined
          ? null
          : value.trim() === '0'
            ? 0
            : parseAmountFlag(value, currency, flag)
      plan = {
        basisPoints,
        fixed: money('--fixed', this.fixed) ?? 0,
        minimum: money('--min', this.min),
        maximum: money('--max', this.max),
      }
      // Refused before the confirmation, not after it
      const problem = feePlanProblem(plan)
      if (problem) {
        throw new ConsoleRefusal(problem)
      }
    }
    const next = plan ?? platformFeePlan()
    await this.confirmOrRefuse({
      force: this.force,
      summary: [
        `${contractor.email}: ${describeFeePlan(current, currency)} → ${describeFeePlan(next, currency)}` +
          `${plan ? '' : ' (platform default)'}.`,
        `From now on ${example(next)}; orders already placed keep their fee.`,
      ],
      question: `Change ${contractor.email}'s fee plan?`,
      flagHint: 'change the plan',
    })
    const saved = await setFeePlan(contractor, plan, this.actor)
    this.logger.success(
      `${contractor.email} now pays ${describeFeePlan(saved.plan, currency)}` +
        `${plan ? '' : ' (platform default)'}.`
    )
  }
}
