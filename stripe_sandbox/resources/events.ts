import { LIST_PARAMS, paginate } from '../core/lists.js'
import { arr, bool, hash, str } from '../core/params.js'
import { type Rec } from '../core/store.js'
import { type Engine } from '../engine.js'

/** Events of the acting account: retrieve, and list by `type` (with `*` wildcards) or `types[]`. */
export function registerEvents(engine: Engine): void {
  const router = engine.router

  router.add(
    'GET',
    '/v1/events/:id',
    hash({}),
    (ctx) => engine.find(ctx, 'event', ctx.path.id, 'event').obj
  )

  router.add(
    'GET',
    '/v1/events',
    hash({ ...LIST_PARAMS, type: str(), types: arr(str()), delivery_success: bool() }),
    (ctx) => {
      const type: string | undefined = ctx.params.type
      const types: string[] | undefined = ctx.params.types
      let key = `event|${ctx.account}`
      let filter: ((rec: Rec) => boolean) | undefined
      if (type && !type.includes('*')) {
        key += `|type=${type}`
      } else if (type) {
        const pattern = new RegExp(`^${type.replace(/\./g, '\\.').replace(/\*/g, '.*')}$`)
        filter = (rec) => pattern.test(rec.obj.type)
      } else if (types) {
        filter = (rec) => types.includes(rec.obj.type)
      }
      return paginate(engine.store.list(key), ctx.params, {
        store: engine.store,
        url: '/v1/events',
        label: 'event',
        render: (rec) => rec.obj,
        filter,
      })
    }
  )
}
