import { Controller, Get, NotFoundException, Param, Res } from '@nestjs/common';
import type { ApolloServerPlugin } from '@apollo/server';
import type { Response } from 'express';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { EXPLORER_CSS, EXPLORER_SCRIPT, explorerHtml } from './graphql-explorer.page';

/** The npm files the explorer loads, by the name it asks for: package and path inside it. */
const PACKAGE_FILES: Record<string, { pkg: string; file: string; type: string }> = {
  'react.js': { pkg: 'react', file: 'umd/react.production.min.js', type: 'text/javascript' },
  'react-dom.js': { pkg: 'react-dom', file: 'umd/react-dom.production.min.js', type: 'text/javascript' },
  'graphql-ws.js': { pkg: 'graphql-ws', file: 'umd/graphql-ws.min.js', type: 'text/javascript' },
  'graphiql.js': { pkg: 'graphiql', file: 'graphiql.min.js', type: 'text/javascript' },
  'graphiql.css': { pkg: 'graphiql', file: 'graphiql.min.css', type: 'text/css' },
};

// The UMD builds are not among the packages' exports: they are found beside each package.json.
const packageRequire = createRequire(join(__dirname, 'graphql-explorer.controller.ts'));
const packageFile = ({ pkg, file }: { pkg: string; file: string }) =>
  join(dirname(packageRequire.resolve(`${pkg}/package.json`)), file);

/**
 * The GraphQL explorer (GraphiQL) for a browser's `GET /graphql`: Apollo answers such a request with its
 * landing page, which this plugin makes the explorer's.
 */
export function graphqlExplorerPlugin(): ApolloServerPlugin {
  const html = explorerHtml();
  return {
    async serverWillStart() {
      return { renderLandingPage: async () => ({ html }) };
    },
  };
}

/**
 * The explorer's files under `/graphql-explorer/`. They hold no user data, so they are open like the
 * web tasklist's; every query the explorer sends is authenticated by the GraphQL API.
 */
@Controller('graphql-explorer')
export class GraphqlExplorerController {
  @Get(':file')
  file(@Param('file') file: string, @Res() res: Response): void {
    res.setHeader('x-content-type-options', 'nosniff');
    if (file === 'explorer.js' || file === 'explorer.css') {
      res.setHeader('cache-control', 'no-cache');
      res
        .type(file.endsWith('.js') ? 'text/javascript' : 'text/css')
        .send(file.endsWith('.js') ? EXPLORER_SCRIPT : EXPLORER_CSS);
      return;
    }
    const known = Object.hasOwn(PACKAGE_FILES, file) ? PACKAGE_FILES[file] : undefined;
    if (!known) throw new NotFoundException(`no explorer file ${file}`);
    res.setHeader('cache-control', 'public, max-age=3600');
    res.type(known.type).sendFile(packageFile(known));
  }
}
