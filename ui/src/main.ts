import { mount } from 'svelte';
import App from './App.svelte';
import './app.css';
import { followSystemTheme } from './lib/preferences.svelte';

// The theme is set before the first paint, so a dark choice never flashes light.
followSystemTheme();

const target = document.getElementById('app');
if (!target) throw new Error('missing #app element');

export default mount(App, { target });
