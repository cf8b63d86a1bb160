import type { Edge } from 'edge.js'

/*
| Edge's components plugin lists every components/ directory (a recursive
| readdir) before each render unless the Edge instance was *created* with
| `cache: true`. AdonisJS creates the shared instance without options and
| turns the cache on later with `configure`, which leaves the plugin
| recurring: even in production, every render listed components/ (issue 18).
| In production the templates are compiled once and the directory does not
| change, so the list is read once.
*/
export function listComponentsOnce(edge: Edge) {
  const { loader } = edge
  const list = loader.listComponents.bind(loader)
  let components: ReturnType<typeof list> | undefined
  loader.listComponents = () => (components ??= list())
}
