"""Physical constants in SI units (CODATA 2018 exact or recommended values)."""

MU0 = 1.25663706212e-6  #: vacuum permeability, T m / A
HBAR = 1.054571817e-34  #: reduced Planck constant, J s
E_CHARGE = 1.602176634e-19  #: elementary charge, C
K_B = 1.380649e-23  #: Boltzmann constant, J / K
GAMMA_E = 1.76085963023e11  #: electron gyromagnetic ratio |gamma_e|, rad / (s T)
