import { type Engine } from '../engine.js'
import { registerConfirm } from './setup_intents/confirm.js'
import { registerCreate } from './setup_intents/create.js'
import { registerManage } from './setup_intents/manage.js'

/*
 * SetupIntents: save a payment method for later without charging it. Cards
 * are checked (and may need 3D Secure); bank accounts get a mandate and are
 * verified with microdeposits. Each operation lives under setup_intents/.
 */

export function registerSetupIntents(engine: Engine): void {
  engine.setIndexer('setup_intent', (rec) => {
    const keys: string[] = []
    if (rec.obj.customer) {
      keys.push(`customer=${rec.obj.customer}`)
    }
    if (rec.obj.payment_method) {
      keys.push(`payment_method=${rec.obj.payment_method}`)
    }
    return keys
  })
  registerCreate(engine)
  registerConfirm(engine)
  registerManage(engine)
}
