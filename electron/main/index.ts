/**
 * Electron main: a thin composition root. It opens the engine (data in userData, tokens
 * encrypted with safeStorage), serves the UI ⇄ engine contract over IPC with sender checks,
 * locks the window down, and tells the engine when the network or the machine comes back.
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { app, BrowserWindow, ipcMain, net, powerMonitor, safeStorage, shell } from 'electron';
import { COMMAND_NAMES, IPC_PREFIX, STATE_EVENT } from '../../sync/app-api/contract.js';
import { openClient, type SecretStore } from '../../sync/client/index.js';
import { AppStates } from '../../sync/host/app-states.js';
import { createHandlers } from '../../sync/host/handlers.js';
import { isAppUrl, isExternalLinkAllowed } from './trusted-url.js';

const here = dirname(fileURLToPath(import.meta.url));
const backendUrl = process.env.CUSTOMDATA_DESK_BACKEND ?? 'http://127.0.0.1:8787';
const appId = process.env.CUSTOMDATA_DESK_APP_ID ?? 'customdata-desk';
const adminKey = process.env.CUSTOMDATA_DESK_ADMIN_KEY;

if (!app.requestSingleInstanceLock()) app.quit();

const secretStore: SecretStore = {
  encrypt: (plain) => safeStorage.encryptString(plain).toString('base64'),
  decrypt: (stored) => safeStorage.decryptString(Buffer.from(stored, 'base64')),
};

app.whenReady().then(() => {
  const dataDir = process.env.CUSTOMDATA_DESK_DATA_DIR ?? app.getPath('userData');
  // Packaged apps carry better-sqlite3 rebuilt for Electron (electron-builder); `npm start` passes its own copy.
  const client = openClient({
    baseUrl: backendUrl,
    appId,
    dataDir,
    secretStore,
    sqliteNativeBinding: process.env.CUSTOMDATA_DESK_SQLITE_BINDING,
  });
  // One snapshot per engine change, for the IPC event and the command answers alike.
  const states = new AppStates(client, { adminTools: Boolean(adminKey) });
  const handlers = createHandlers(client, { baseUrl: backendUrl, adminKey, states });
  const appUrl = process.env.ELECTRON_RENDERER_URL ?? `file://${join(here, '../renderer/index.html')}`;

  const win = new BrowserWindow({
    width: 1200,
    height: 860,
    show: false,
    webPreferences: {
      preload: join(here, '../preload/index.cjs'),
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      webSecurity: true,
    },
  });
  win.once('ready-to-show', () => win.show());
  win.webContents.on('will-navigate', (event, url) => {
    if (!isAppUrl(url, appUrl)) event.preventDefault();
  });
  win.webContents.setWindowOpenHandler(({ url }) => {
    if (isExternalLinkAllowed(url)) void shell.openExternal(url);
    return { action: 'deny' };
  });

  // Every command checks that it comes from our own page in our own window (VS Code's rule).
  for (const name of COMMAND_NAMES) {
    ipcMain.handle(`${IPC_PREFIX}${name}`, (event, args: unknown) => {
      const frameUrl = event.senderFrame?.url ?? '';
      if (event.sender !== win.webContents || !isAppUrl(frameUrl, appUrl)) {
        return { ok: false, error: 'refused: IPC from an untrusted frame' };
      }
      return handlers[name](args);
    });
  }
  states.subscribe((state) => {
    if (!win.isDestroyed()) win.webContents.send(STATE_EVENT, state);
  });

  // Network back / machine awake: probe now instead of waiting for the backoff.
  let wasOnline = net.isOnline();
  const poll = setInterval(() => {
    const online = net.isOnline();
    if (online && !wasOnline) void client.notifyOnline();
    wasOnline = online;
  }, 3000);
  powerMonitor.on('resume', () => void client.notifyOnline());
  powerMonitor.on('unlock-screen', () => void client.notifyOnline());

  void win.loadURL(appUrl);
  app.on('second-instance', () => {
    if (win.isMinimized()) win.restore();
    win.focus();
  });
  app.on('before-quit', () => {
    clearInterval(poll);
    void client.close();
  });
});

app.on('window-all-closed', () => app.quit());
