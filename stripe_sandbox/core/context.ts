import { type Engine } from '../engine.js'
import { type Params } from './types.js'

/** Everything a handler needs to know about the request it serves. */
export interface Context {
  engine: Engine
  requestId: string
  idempotencyKey: string | null
  /** the platform account of the API key */
  platform: string
  /** the account the request acts on: the platform, or the `Stripe-Account` target */
  account: string
  /** true when `Stripe-Account` names a connected account */
  connected: boolean
  params: Params
  path: Record<string, string>
  /** request path, e.g. `/v1/customers` (used for list `url` fields) */
  url: string
}
