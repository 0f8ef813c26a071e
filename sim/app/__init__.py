"""The planner's page: `crisis-sim app` opens a Streamlit page over the same library calls as the CLI.

Pure helpers (no Streamlit) turn a planner's edits into scenario variants, run and cache
comparisons, and phrase results in plain words; they are unit-tested like the rest of the
package. The page scripts in `pages/` only lay out widgets and call them.
"""
