import request from 'supertest';
import { login, register } from './support/clients';
import { DATABASES, startApp, testEnv } from './support/app';

describe.each(DATABASES)('restart on the same database ($name)', ({ url: databaseUrl }) => {
  it('keeps users, sessions, refresh tokens and revocations', async () => {
    const env = testEnv(await databaseUrl());
    let t = await startApp(env);
    const a = await register(t.url);
    const ended = await login(t.url, a.user.email);
    await request(t.url).post('/auth/logout').set('Authorization', `Bearer ${ended.accessToken}`).expect(204);
    await t.close();

    t = await startApp(env);
    try {
      await request(t.url).get('/auth/me').set('Authorization', `Bearer ${a.accessToken}`).expect(200);
      // the logged-out session's access token is still refused after the restart
      await request(t.url).get('/auth/me').set('Authorization', `Bearer ${ended.accessToken}`).expect(401);
      await request(t.url).post('/auth/refresh').send({ refreshToken: ended.refreshToken }).expect(401);
      const rotated = await request(t.url).post('/auth/refresh').send({ refreshToken: a.refreshToken }).expect(200);
      await login(t.url, a.user.email);
      const sessions = await request(t.url).get('/auth/sessions').set('Authorization', `Bearer ${rotated.body.accessToken}`).expect(200);
      expect(sessions.body).toHaveLength(2);
    } finally {
      await t.close();
    }
  });
});
