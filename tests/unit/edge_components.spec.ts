import { test } from '@japa/runner'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { tmpdir } from 'node:os'
import { Edge } from 'edge.js'
import { listComponentsOnce } from '#services/edge_components'

test.group('Edge components listed once (production)', () => {
  test('renders list components/ once, and components still render', async ({ assert }) => {
    const root = await mkdtemp(join(tmpdir(), 'edge-components-'))
    try {
      await mkdir(join(root, 'components'))
      await writeFile(join(root, 'components', 'badge.edge'), '<b>{{ text }}</b>')
      await writeFile(join(root, 'page.edge'), "@!component('components/badge', { text })")
      // As AdonisJS makes it: created without options, cached by configure()
      const edge = new Edge()
      edge.mount(root)
      edge.configure({ cache: true })
      let listed = 0
      const list = edge.loader.listComponents.bind(edge.loader)
      edge.loader.listComponents = () => {
        listed += 1
        return list()
      }
      await edge.render('page', { text: 'one' })
      await edge.render('page', { text: 'two' })
      assert.equal(listed, 2, 'Edge lists components/ on every render without the fix')

      listComponentsOnce(edge)
      listed = 0
      assert.equal(await edge.render('page', { text: 'three' }), '<b>three</b>')
      assert.equal(await edge.render('page', { text: 'four' }), '<b>four</b>')
      assert.equal(listed, 1)
    } finally {
      await rm(root, { recursive: true, force: true })
    }
  })
})
