/**
 * A @vscode-elements radio group that reports every change of choice, by mouse or keyboard. The group moves the
 * checked radio on the arrow keys without firing `change` (only a click or Space does), so a view listening to
 * `change` alone keeps showing the old choice's numbers while the radio shows the new one; this listens to both.
 */
import '@vscode-elements/elements/dist/vscode-radio-group/index.js';
import '@vscode-elements/elements/dist/vscode-radio/index.js';
import { h } from './dom';

export interface RadioChoice<T extends string> {
  value: T;
  text: string;
}

export interface RadioGroupOptions<T extends string> {
  /** Accessible name of the group. */
  label: string;
  /** The radios' `name` (one per group on the page). */
  name: string;
  choices: Array<RadioChoice<T>>;
  value: T;
  onChange(value: T): void;
  className?: string;
}

export function radioGroup<T extends string>(o: RadioGroupOptions<T>): HTMLElement {
  const group = h('vscode-radio-group', { 'aria-label': o.label, class: o.className },
    ...o.choices.map((c) => h('vscode-radio', { name: o.name, value: c.value, label: c.text, checked: c.value === o.value }, c.text)));
  group.dataset.value = o.value;
  const report = (): void => {
    const checked = [...group.querySelectorAll('vscode-radio')].find((r) => (r as unknown as { checked: boolean }).checked);
    const v = checked?.getAttribute('value') as T | null;
    if (v === null || v === undefined || v === group.dataset.value || !o.choices.some((c) => c.value === v)) return;
    group.dataset.value = v;
    o.onChange(v);
  };
  group.addEventListener('change', report);
  // The group's own keydown handler (registered first, on the same element) has checked the next radio by now.
  group.addEventListener('keydown', (e) => {
    if (['ArrowLeft', 'ArrowRight', 'ArrowUp', 'ArrowDown'].includes((e as KeyboardEvent).key)) report();
  });
  return group;
}

/** Check `value`'s radio in a group built by `radioGroup` (state changed elsewhere, e.g. restored). */
export function setRadioValue(group: HTMLElement, value: string): void {
  group.dataset.value = value;
  for (const r of group.querySelectorAll('vscode-radio')) (r as unknown as { checked: boolean }).checked = r.getAttribute('value') === value;
}
