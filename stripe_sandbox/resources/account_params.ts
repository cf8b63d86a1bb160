import { bool, dict, hash, int, meta, str, strOrHash, type Spec } from '../core/params.js'

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

const individualSpec = hash({
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
  relationship: dict(),
  ssn_last_4: str(),
  verification: hash({ document: documentSpec, additional_document: documentSpec }),
})

const capabilitySpec = hash({ requested: bool() })

export const accountParams: Record<string, Spec> = {
  business_profile: hash({
    annual_revenue: dict(),
    estimated_worker_count: int(),
    mcc: str(),
    minority_owned_business_designation: dict(),
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
    branding: dict(),
    card_payments: dict(),
    dashboard: dict(),
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
