# astropy comes in under nestml's parser (units).  PyInstaller's own hook imports every astropy submodule, and
# astropy.visualization.wcsaxes aborts the import when matplotlib is missing (not a studio dependency); the
# plotting and test packages are left out, the rest collected as the stock hook does.
from PyInstaller.utils.hooks import collect_data_files, collect_submodules

hiddenimports = collect_submodules(
    "astropy", filter=lambda name: not name.startswith("astropy.visualization") and ".tests" not in name)
datas = collect_data_files("astropy")
