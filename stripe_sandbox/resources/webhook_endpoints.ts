import { type Context } from '../core/context.js'
import { invalidRequest, paramError } from '../core/errors.js'
import { newId, randomString } from '../core/ids.js'
import { LIST_PARAMS, paginate } from '../core/lists.js'
import { applyMetadata, arr, bool, hash, meta, str } from '../core/params.js'
import { type Engine } from '../engine.js'

/*
 * Webhook endpoints of a platform. `connect=true` endpoints receive the
 * events of connected accounts, the others the platform's own events. The
 * signing secret is returned once, on creation, as Stripe does.
 */

function assertUrl(url: string): void {
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    throw paramError(`Invalid URL: ${url}`, { param: 'url' })
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw paramError(`Invalid URL: ${url}. URLs must use http or https.`, { param: 'url' })
  }
}

function assertEvents(events: string[]): void {
  if (events.length === 0) {
    throw paramError('enabled_events must contain at least one event type (or *).', {
      param: 'enabled_events',
    })
  }
}

export function registerWebhookEndpoints(engine: Engine): void {
  const router = engine.router

  const platformOnly = (ctx: Context) => {
    if (ctx.connected) {
      throw invalidRequest('Webhook endpoints belong to the platform; omit Stripe-Account.', {
        param: 'Stripe-Account',
      })
    }
  }

  router.add(
    'POST',
    '/v1/webhook_endpoints',
    hash(
      {
        url: str(),
        enabled_events: arr(str()),
        connect: bool(),
        description: str(),
        metadata: meta(),
        api_version: str(),
      },
      ['url', 'enabled_events']
    ),
    (ctx) => {
      platformOnly(ctx)
      const params = ctx.params
      assertUrl(params.url)
      assertEvents(params.enabled_events)
      const secret = `whsec_${randomString(32)}`
      const rec = engine.create(
        'webhook_endpoint',
        ctx.platform,
        ctx.platform,
        {
          id: newId('we'),
          object: 'webhook_endpoint',
          api_version: params.api_version ?? null,
          application: null,
          created: engine.now(),
          description: params.description ?? null,
          enabled_events: params.enabled_events,
          livemode: false,
          metadata: applyMetadata({}, params.metadata),
          status: 'enabled',
          url: params.url,
        },
        { secret, connect: Boolean(params.connect) }
      )
      return { ...rec.obj, secret }
    }
  )

  const find = (ctx: Context) => {
    platformOnly(ctx)
    return engine.find(ctx, 'webhook_endpoint', ctx.path.id, 'webhook endpoint')
  }

  router.add('GET', '/v1/webhook_endpoints/:id', hash({}), (ctx) => find(ctx).obj)

  router.add(
    'POST',
    '/v1/webhook_endpoints/:id',
    hash({
      url: str(),
      enabled_events: arr(str()),
      description: str(),
      disabled: bool(),
      metadata: meta(),
    }),
    (ctx) => {
      const rec = find(ctx)
      const params = ctx.params
      if (params.url) {
        assertUrl(params.url)
        rec.obj.url = params.url
      }
      if (params.enabled_events) {
        assertEvents(params.enabled_events)
        rec.obj.enabled_events = params.enabled_events
      }
      if ('description' in params) {
        rec.obj.description = params.description
      }
      if (params.disabled !== undefined && params.disabled !== null) {
        rec.obj.status = params.disabled ? 'disabled' : 'enabled'
      }
      rec.obj.metadata = applyMetadata(rec.obj.metadata, params.metadata)
      engine.markDirty()
      return rec.obj
    }
  )

  router.add('DELETE', '/v1/webhook_endpoints/:id', hash({}), (ctx) => {
    const rec = find(ctx)
    rec.deleted = true
    engine.store.reindex(rec)
    engine.markDirty()
    return { id: rec.id, object: 'webhook_endpoint', deleted: true }
  })

  router.add('GET', '/v1/webhook_endpoints', hash(LIST_PARAMS), (ctx) => {
    platformOnly(ctx)
    return paginate(engine.store.list(`webhook_endpoint|${ctx.platform}`), ctx.params, {
      store: engine.store,
      url: '/v1/webhook_endpoints',
      label: 'webhook endpoint',
      render: (rec) => rec.obj,
    })
  })
}
