/** The layout parity fixtures (test/fixtures/layouts/gen_layouts.py): one folder per Soft MoE layout and skeleton. */
export const LAYOUT_FIXTURES = [
  'vit-lucidrains', 'vit-lucidrains-ln-geglu', 'vit-lucidrains-dynamic', 'vit-bwconrad-nonorm', 'vit-fkodom', 'vit-vmoe',
  'vit-deit-vmap', 'mnist-lucidrains', 'mnist-lucidrains-dynamic', 'mnist-fkodom', 'mnist-bwconrad-nonorm',
] as const;
