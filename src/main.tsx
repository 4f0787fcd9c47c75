import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { startApp } from './ui/app-update';
import { App } from './ui/components/App';
import './ui/styles.css';

startApp();
createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
