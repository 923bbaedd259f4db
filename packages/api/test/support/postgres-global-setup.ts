import pg from 'pg';
import type { TestProject } from 'vitest/node';
import './provided.ts';

/**
 * Creates a fresh database for this run on the PostgreSQL server named by
 * TEST_DATABASE_URL (default: the local server), and drops it afterwards.
 */
export default async function setup(project: TestProject) {
  const adminUrl = process.env['TEST_DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';
  const name = `scheduler_test_${process.pid}_${Date.now()}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  project.provide('postgresUrl', url.toString());

  return async () => {
    const client = new pg.Client({ connectionString: adminUrl });
    await client.connect();
    await client.query(`drop database if exists ${name} with (force)`);
    await client.end();
  };
}
