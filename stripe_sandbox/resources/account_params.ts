import { arr, bool, hash, int, meta, num, str, strOrHash, type Spec } from '../core/params.js'

/* Request parameters of the account endpoints (shared by accounts and external accounts). */

export const CAPABILITIES = ['card_payments', 'transfers'] as const

export const bankSpec = hash({
  object: str(['bank_account']),
  country: str(),
  currency: str(),
  routing_number: str(),
  account_number: str(),
  account_holder_name: str(),
  account_holder_type: str(['individual', 'company']),
  default_for_currency: bool(),
  metadata: meta(),
})

const addressSpec = hash({
  city: str(),
  country: str(),
  line1: str(),
  line2: str(),
  postal_code: str(),
  state: str(),
})

const documentSpec = hash({ front: str(), back: str() })

export const individualSpec = hash({
  address: addressSpec,
  dob: hash({ day: int(1), month: int(1), year: int(1) }),
  email: str(),
  first_name: str(),
  last_name: str(),
  gender: str(),
  id_number: str(),
  maiden_name: str(),
  metadata: meta(),
  nationality: str(),
  phone: str(),
  political_exposure: str(['existing', 'none']),
  relationship: hash({
    authorizer: bool(),
    director: bool(),
    executive: bool(),
    legal_guardian: bool(),
    owner: bool(),
    percent_ownership: num(),
    representative: bool(),
    title: str(),
  }),
  ssn_last_4: str(),
  verification: hash({ document: documentSpec, additional_document: documentSpec }),
})

const capabilitySpec = hash({ requested: bool() })

export const accountParams: Record<string, Spec> = {
  business_profile: hash({
    annual_revenue: hash({ amount: int(0), currency: str(), fiscal_year_end: str() }, [
      'amount',
      'currency',
      'fiscal_year_end',
    ]),
    estimated_worker_count: int(),
    mcc: str(),
    minority_owned_business_designation: arr(
      str([
        'lgbtqi_owned_business',
        'minority_owned_business',
        'none_of_these_apply',
        'prefer_not_to_answer',
        'women_owned_business',
      ])
    ),
    name: str(),
    product_description: str(),
    support_address: addressSpec,
    support_email: str(),
    support_phone: str(),
    support_url: str(),
    url: str(),
  }),
  business_type: str(['individual', 'company', 'non_profit', 'government_entity']),
  capabilities: hash(Object.fromEntries(CAPABILITIES.map((name) => [name, capabilitySpec]))),
  company: hash({
    address: addressSpec,
    name: str(),
    phone: str(),
    tax_id: str(),
    structure: str(),
    directors_provided: bool(),
    executives_provided: bool(),
    owners_provided: bool(),
  }),
  default_currency: str(),
  email: str(),
  external_account: strOrHash(bankSpec),
  individual: individualSpec,
  metadata: meta(),
  settings: hash({
    branding: hash({ icon: str(), logo: str(), primary_color: str(), secondary_color: str() }),
    card_payments: hash({
      decline_on: hash({ avs_failure: bool(), cvc_failure: bool() }),
      statement_descriptor_prefix: str(),
      statement_descriptor_prefix_kana: str(),
      statement_descriptor_prefix_kanji: str(),
    }),
    dashboard: hash({ display_name: str(), timezone: str() }),
    payments: hash({ statement_descriptor: str(), statement_descriptor_prefix: str() }),
    payouts: hash({
      debit_negative_balances: bool(),
      schedule: hash({
        delay_days: str(),
        interval: str(['manual', 'daily', 'weekly', 'monthly']),
        monthly_anchor: int(),
        weekly_anchor: str(),
      }),
      statement_descriptor: str(),
    }),
  }),
  tos_acceptance: hash({
    date: int(),
    ip: str(),
    service_agreement: str(['full', 'recipient']),
    user_agent: str(),
  }),
}

export const createParams: Record<string, Spec> = {
  ...accountParams,
  type: str(['custom', 'express', 'standard']),
  country: str(),
  controller: hash({
    fees: hash({ payer: str(['account', 'application']) }),
    losses: hash({ payments: str(['application', 'stripe']) }),
    requirement_collection: str(['application', 'stripe']),
    stripe_dashboard: hash({ type: str(['express', 'full', 'none']) }),
  }),
}
